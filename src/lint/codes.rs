//! The registry of lint codes: what a plan's `lint: allow:` may name, and what each finding
//! is called and advises. Apart from the rules that find them (`lint`), so that the plan
//! reader can check `allow:` without depending on analysis.

/// One kind of finding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    /// What to do about it.
    pub help: &'static str,
}

pub(crate) const INBOUND_FOREIGN_KEYS: Rule = Rule {
    code: "L001",
    name: "inbound-foreign-keys",
    help: "the cutover drops them and adds them back NOT VALID, holding ACCESS EXCLUSIVE on those tables for the cutover too; 55-after-cutover.sql validates them, reading every row of those tables (reads and writes go on meanwhile)",
};
pub(crate) const DEPENDENT_VIEWS: Rule = Rule {
    code: "L002",
    name: "dependent-views",
    help: "the cutover re-creates them: views with CREATE OR REPLACE VIEW (ACCESS EXCLUSIVE on each view for the cutover); materialized views are dropped and created empty, so queries on them fail until 55-after-cutover.sql refreshes them",
};
pub(crate) const SHARED_SEQUENCE: Rule = Rule {
    code: "L003",
    name: "shared-sequence",
    help: "the cutover moves it past every restored value, which those tables then skip; a rollback does not move it back",
};
pub(crate) const DEFAULT_PARTITION: Rule = Rule {
    code: "L004",
    name: "default-partition",
    help: "rows outside every other partition's bound live there: check that the dump's default partition holds what you expect. Its swap is attached last; adding a partition to the table later makes PostgreSQL read the default partition",
};
pub(crate) const NO_KEY: Rule = Rule {
    code: "L005",
    name: "no-key",
    help: "40-verify.sql can only count its rows: a duplicated row cannot be told apart, and a publication needs REPLICA IDENTITY FULL to replicate its updates and deletes",
};
pub(crate) const UNLOGGED_STAGING: Rule = Rule {
    code: "L006",
    name: "unlogged-staging",
    help: "a crash or failover empties them (rerun 20-load.sh), and SET LOGGED in 30-build.sql writes each whole table to WAL at once, which standbys must replay: plan for that volume and replication lag, or set staging: unlogged: false with load.max_rate, so that the load writes the tables and their indexes to WAL at its pace instead. Writing unlogged: true in the plan acknowledges this and silences it",
};
pub(crate) const NO_DATA: Rule = Rule {
    code: "L007",
    name: "no-data",
    help: "the restored table will be empty, and production's rows replaced by none; 40-verify.sql stops the restore unless the table has min_rows: 0. Make the listing from a dump that holds its data, or, if an empty table is intended, set min_rows: 0 and allow L007",
};

/// Every rule, by code.
pub(crate) const RULES: &[&Rule] = &[
    &INBOUND_FOREIGN_KEYS,
    &DEPENDENT_VIEWS,
    &SHARED_SEQUENCE,
    &DEFAULT_PARTITION,
    &NO_KEY,
    &UNLOGGED_STAGING,
    &NO_DATA,
];

/// The rule a plan's `lint: allow:` names, by code (`L002`) or name (`dependent-views`).
pub(crate) fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_documents_every_rule() {
        let readme = include_str!("../../README.md");
        for rule in RULES {
            let row = format!("| {} | `{}` |", rule.code, rule.name);
            assert!(readme.contains(&row), "README.md lacks {row}");
        }
    }

    #[test]
    fn rules_are_found_by_code_or_name() {
        assert_eq!(rule("L003"), Some(&SHARED_SEQUENCE));
        assert_eq!(rule("l003"), Some(&SHARED_SEQUENCE));
        assert_eq!(rule("no-key"), Some(&NO_KEY));
        assert_eq!(rule("L999"), None);
    }
}
