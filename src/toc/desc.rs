//! The object types (`desc`) pg_dump writes into a TOC, PostgreSQL 9.6 through 18.
//!
//! A desc may hold spaces (`TABLE DATA`, `MATERIALIZED VIEW DATA`), and one desc can be a
//! prefix of another (`TABLE` of `TABLE DATA`, `BLOB` of `BLOBS`), so matching takes the
//! longest known desc that is followed by a space.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Every desc pg_dump 9.6–18 emits, plus the legacy ones old archives still carry.
/// Kept sorted longest first: `match_desc` relies on it.
const KNOWN: &[&str] = &[
    "PUBLICATION TABLES IN SCHEMA",
    "TEXT SEARCH CONFIGURATION",
    "pg_largeobject_metadata",
    "MATERIALIZED VIEW DATA",
    "TEXT SEARCH DICTIONARY",
    "FOREIGN DATA WRAPPER",
    "TEXT SEARCH TEMPLATE",
    "DATABASE PROPERTIES",
    "PROCEDURAL LANGUAGE",
    "SUBSCRIPTION TABLE",
    "TEXT SEARCH PARSER",
    "MATERIALIZED VIEW",
    "PUBLICATION TABLE",
    "SEQUENCE OWNED BY",
    "CHECK CONSTRAINT",
    "OPERATOR FAMILY",
    "STATISTICS DATA",
    "OPERATOR CLASS",
    "SECURITY LABEL",
    "pg_largeobject",
    "ACCESS METHOD",
    "BLOB COMMENTS",
    "BLOB METADATA",
    "EVENT TRIGGER",
    "FK CONSTRAINT",
    "FOREIGN TABLE",
    "ACL LANGUAGE",
    "INDEX ATTACH",
    "ROW SECURITY",
    "SEQUENCE SET",
    "SUBSCRIPTION",
    "TABLE ATTACH",
    "USER MAPPING",
    "DEFAULT ACL",
    "PUBLICATION",
    "CONSTRAINT",
    "CONVERSION",
    "SEARCHPATH",
    "SHELL TYPE",
    "STATISTICS",
    "STDSTRINGS",
    "TABLE DATA",
    "AGGREGATE",
    "COLLATION",
    "EXTENSION",
    "PROCEDURE",
    "TRANSFORM",
    "DATABASE",
    "ENCODING",
    "FUNCTION",
    "OPERATOR",
    "SEQUENCE",
    "COMMENT",
    "DEFAULT",
    "TRIGGER",
    "<Init>",
    "DOMAIN",
    "POLICY",
    "SCHEMA",
    "SERVER",
    "BLOBS",
    "INDEX",
    "TABLE",
    "BLOB",
    "CAST",
    "RULE",
    "TYPE",
    "VIEW",
    "ACL",
];

/// Known descs by their first word, each list longest first.
static BY_FIRST_WORD: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    let mut index: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for desc in KNOWN {
        let first = desc.split(' ').next().unwrap_or(desc);
        index.entry(first).or_default().push(desc);
    }
    index
});

/// The longest known desc at the start of `text` that is followed by a space, and the text
/// after that space.
pub fn match_known(text: &str) -> Option<(&'static str, &str)> {
    let first = text.split(' ').next()?;
    BY_FIRST_WORD.get(first)?.iter().find_map(|desc| {
        text.strip_prefix(desc)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(|rest| (*desc, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_descs_are_sorted_longest_first() {
        for pair in KNOWN.windows(2) {
            assert!(
                pair[0].len() >= pair[1].len(),
                "{:?} must come before {:?}",
                pair[1],
                pair[0]
            );
        }
    }

    #[test]
    fn every_desc_that_prefixes_another_comes_after_it() {
        for (i, short) in KNOWN.iter().enumerate() {
            for long in &KNOWN[i + 1..] {
                assert!(
                    !long.starts_with(&format!("{short} ")) && long != short,
                    "{long:?} must come before {short:?}"
                );
            }
        }
    }

    #[test]
    fn longest_desc_wins() {
        let cases = [
            (
                "TABLE DATA public reading postgres",
                "TABLE DATA",
                "public reading postgres",
            ),
            (
                "TABLE public reading postgres",
                "TABLE",
                "public reading postgres",
            ),
            (
                "TABLE ATTACH app m_2025 postgres",
                "TABLE ATTACH",
                "app m_2025 postgres",
            ),
            (
                "MATERIALIZED VIEW DATA public mv postgres",
                "MATERIALIZED VIEW DATA",
                "public mv postgres",
            ),
            (
                "MATERIALIZED VIEW public mv postgres",
                "MATERIALIZED VIEW",
                "public mv postgres",
            ),
            ("BLOBS - BLOBS ", "BLOBS", "- BLOBS "),
            ("BLOB - 16457 postgres", "BLOB", "- 16457 postgres"),
            (
                "BLOB METADATA - 1..9 postgres",
                "BLOB METADATA",
                "- 1..9 postgres",
            ),
            (
                "STATISTICS DATA app customer ",
                "STATISTICS DATA",
                "app customer ",
            ),
            (
                "STATISTICS public s postgres",
                "STATISTICS",
                "public s postgres",
            ),
            (
                "SEQUENCE OWNED BY app s postgres",
                "SEQUENCE OWNED BY",
                "app s postgres",
            ),
            (
                "SEQUENCE SET app s postgres",
                "SEQUENCE SET",
                "app s postgres",
            ),
            (
                "DEFAULT ACL app DEFAULT PRIVILEGES FOR TABLES postgres",
                "DEFAULT ACL",
                "app DEFAULT PRIVILEGES FOR TABLES postgres",
            ),
            ("DEFAULT app t id postgres", "DEFAULT", "app t id postgres"),
            (
                "DATABASE PROPERTIES - demo postgres",
                "DATABASE PROPERTIES",
                "- demo postgres",
            ),
            (
                "PUBLICATION TABLES IN SCHEMA - p app postgres",
                "PUBLICATION TABLES IN SCHEMA",
                "- p app postgres",
            ),
            (
                "PUBLICATION TABLE public p t ",
                "PUBLICATION TABLE",
                "public p t ",
            ),
            (
                "FK CONSTRAINT app o o_fkey postgres",
                "FK CONSTRAINT",
                "app o o_fkey postgres",
            ),
            (
                "INDEX ATTACH app i postgres",
                "INDEX ATTACH",
                "app i postgres",
            ),
        ];
        for (text, desc, rest) in cases {
            assert_eq!(match_known(text), Some((desc, rest)), "{text}");
        }
    }

    #[test]
    fn a_desc_must_be_followed_by_a_space() {
        assert_eq!(match_known("TABLEX public t postgres"), None);
        assert_eq!(match_known("PROPERTY GRAPH public g postgres"), None);
        assert_eq!(match_known("TABLE"), None);
    }
}
