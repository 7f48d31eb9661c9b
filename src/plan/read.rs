//! From the YAML tree to a `Plan`, collecting every problem instead of stopping at the first.

use std::collections::HashMap;
use std::path::Path;

use miette::SourceSpan;

use super::error::Problem;
use super::yaml::{self, Node, Value};
use super::{
    Cutover, FORMAT_VERSION, Lint, Load, Located, Mode, OnConflict, Plan, PlanTable,
    RecoverSettings, Recovery, Source, Staging,
};
use crate::diagnostic::{LineIndex, Location};
use crate::sql::QualifiedName;
use crate::sql::name::MAX_IDENT_BYTES;
use crate::units::Duration;

const DEFAULT_STAGING: &str = "restore_staging";
const DEFAULT_RETIRED: &str = "restore_retired";
const DEFAULT_LOCK_TIMEOUT: u64 = 500;
const DEFAULT_STATEMENT_TIMEOUT: u64 = 5000;
const DEFAULT_RETRIES: u32 = 10;
const DEFAULT_BATCH_ROWS: u32 = 5000;
/// The keys of a plan table that only `mode: recover` takes, and those only a swap takes.
const RECOVER_KEYS: [&str; 3] = ["key", "where", "on_conflict"];
const SWAP_KEYS: [&str; 2] = ["accept_orphans", "check_partitioned_references"];

/// Reads as much of the plan as can be read, and every problem found. The plan comes back
/// whenever its `source` could be read, with defaults in place of whatever was wrong and only
/// the tables that could be read: enough to tie it to its listing and find problems there too.
pub fn read_partial(path: &Path, text: &str) -> (Option<Plan>, Vec<Problem>) {
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(err) => return (None, vec![syntax_problem(text, &err)]),
    };
    let mut reader = Reader {
        text,
        problems: Vec::new(),
    };
    let plan = reader.plan(&root, path, &file_name(path), text);
    (plan, reader.problems)
}

pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn syntax_problem(text: &str, err: &serde_saphyr::Error) -> Problem {
    let offset = err
        .location()
        .and_then(|loc| {
            let lines = LineIndex::new(text);
            let at = |column| {
                lines.offset(
                    text,
                    Location {
                        line: loc.line() as usize,
                        column,
                    },
                )
            };
            // A column past the end of its line: the line's start.
            at(loc.column() as usize).or_else(|| at(1))
        })
        .unwrap_or(0);
    let message = err.to_string();
    let first_line = message.lines().next().unwrap_or("invalid YAML");
    // The location is shown by the snippet; keep only what is wrong.
    let first_line = first_line.strip_prefix("error: ").unwrap_or(first_line);
    let first_line = match first_line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((_, what)) => what,
        None => first_line,
    };
    Problem::new(
        SourceSpan::new(offset.into(), 0),
        format!("this is not valid YAML: {first_line}"),
        "here",
    )
}

struct Reader<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

/// The keys of one YAML mapping, checked against the keys it may have.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
    /// Where to point when a required key is missing.
    span: SourceSpan,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }
}

impl Reader<'_> {
    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn expected(&mut self, node: &Node, what: &str) {
        let found = node.value.kind();
        self.problem(Problem::new(
            node.span,
            format!("expected {what}, found {found}"),
            format!("expected {what}"),
        ));
    }

    /// A mapping whose keys are all among `allowed`; `span` is where its parent names it.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        span: SourceSpan,
        what: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.expected(node, &format!("a mapping ({what})"));
            return None;
        };
        let mut fields = Fields {
            entries: Vec::new(),
            span,
        };
        for (key, value) in entries {
            let Value::Str(name) = &key.value else {
                self.expected(key, "a key name");
                continue;
            };
            if !allowed.contains(&name.as_str()) {
                self.problem(
                    Problem::new(
                        key.span,
                        format!("unknown key {name} in {what}"),
                        "unknown key",
                    )
                    .help(format!("{what} takes: {}", allowed.join(", "))),
                );
                continue;
            }
            if let Some((_, first, _)) = fields.entries.iter().find(|(k, _, _)| k == name) {
                let first = first.span;
                self.problem(
                    Problem::new(
                        key.span,
                        format!("{name} appears twice in {what}"),
                        "given again",
                    )
                    .also(first, "first given here"),
                );
                continue;
            }
            fields.entries.push((name, key, value));
        }
        Some(fields)
    }

    fn required<'n>(&mut self, fields: &Fields<'n>, key: &str, what: &str) -> Option<&'n Node> {
        let node = fields.get(key);
        if node.is_none() {
            self.problem(Problem::new(
                fields.span,
                format!("{what} is missing {key}"),
                format!("needs {key}"),
            ));
        }
        node
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) if !s.is_empty() => Some(s.clone()),
            Value::Str(_) => {
                self.problem(Problem::new(node.span, format!("{what} is empty"), "empty"));
                None
            }
            _ => {
                self.expected(node, what);
                None
            }
        }
    }

    fn integer(
        &mut self,
        node: &Node,
        what: &str,
        range: std::ops::RangeInclusive<i128>,
    ) -> Option<i128> {
        match node.value {
            Value::Int(n) if range.contains(&n) => Some(n),
            Value::Int(n) => {
                let (lo, hi) = (range.start(), range.end());
                let allowed = if *hi >= i128::from(u32::MAX) {
                    format!("at least {lo}")
                } else {
                    format!("between {lo} and {hi}")
                };
                self.problem(Problem::new(
                    node.span,
                    format!("{what} must be {allowed}, not {n}"),
                    "out of range",
                ));
                None
            }
            _ => {
                self.expected(node, &format!("{what} (a whole number)"));
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        if let Value::Bool(b) = node.value {
            Some(b)
        } else {
            self.expected(node, &format!("{what} (true or false)"));
            None
        }
    }

    fn plan(&mut self, root: &Node, path: &Path, file_name: &str, text: &str) -> Option<Plan> {
        const KEYS: &[&str] = &[
            "restage", "name", "source", "staging", "tables", "cutover", "load", "recover", "lint",
        ];
        let fields = self.fields(root, SourceSpan::new(0.into(), 0), "the plan", KEYS)?;

        if let Some(node) = self.required(&fields, "restage", "the plan") {
            match node.value {
                Value::Int(FORMAT_VERSION) => {}
                Value::Int(other) => self.problem(
                    Problem::new(
                        node.span,
                        format!("plan format {other} is not supported"),
                        "unsupported",
                    )
                    .help(format!("this restage reads restage: {FORMAT_VERSION}")),
                ),
                _ => self.expected(node, "the plan format version (restage: 1)"),
            }
        }
        let name = self
            .required(&fields, "name", "the plan")
            .and_then(|node| self.plan_name(node));
        let source = self
            .required(&fields, "source", "the plan")
            .and_then(|node| self.source(node, key_span(&fields, "source")));
        let staging_span = key_span(&fields, "staging");
        let staging = self
            .staging(fields.get("staging"), staging_span)
            .map(|staging| Staging {
                span: match fields.get("staging") {
                    Some(_) => staging_span,
                    None => SourceSpan::from((0, 0)),
                },
                ..staging
            });
        let tables = self
            .required(&fields, "tables", "the plan")
            .map(|node| self.tables(node));
        let cutover = self.cutover(fields.get("cutover"), key_span(&fields, "cutover"));
        let load = self.load(fields.get("load"), key_span(&fields, "load"));
        let recover = self.recover(fields.get("recover"), key_span(&fields, "recover"));
        let lint = self.lint(fields.get("lint"), key_span(&fields, "lint"));
        Some(Plan {
            path: path.to_owned(),
            file_name: file_name.to_owned(),
            text: text.to_owned(),
            name: name.unwrap_or_default(),
            source: source?,
            staging: staging.unwrap_or_else(|| Staging {
                schema: Located {
                    value: DEFAULT_STAGING.to_owned(),
                    span: staging_span,
                },
                retired: Located {
                    value: DEFAULT_RETIRED.to_owned(),
                    span: staging_span,
                },
                unlogged: true,
                unlogged_explicit: false,
                span: SourceSpan::from((0, 0)),
            }),
            tables: tables.unwrap_or_default(),
            cutover: cutover.unwrap_or(Cutover {
                lock_timeout: Duration {
                    millis: DEFAULT_LOCK_TIMEOUT,
                },
                statement_timeout: Duration {
                    millis: DEFAULT_STATEMENT_TIMEOUT,
                },
                retries: DEFAULT_RETRIES,
            }),
            load: load.unwrap_or(Load {
                jobs: 1,
                max_rate: None,
            }),
            recover: recover.unwrap_or(RecoverSettings {
                batch_rows: DEFAULT_BATCH_ROWS,
                max_rows_per_second: None,
            }),
            lint: lint.unwrap_or_default(),
        })
    }

    /// `lint: allow: [L002, shared-sequence]`: findings the plan acknowledges, kept as codes.
    fn lint(&mut self, node: Option<&Node>, span: SourceSpan) -> Option<Lint> {
        let fields = self.fields(node?, span, "lint", &["allow"])?;
        let node = fields.get("allow")?;
        let Value::Seq(items) = &node.value else {
            self.expected(node, "a list of lint codes or names");
            return None;
        };
        let mut allow: Vec<Located<String>> = Vec::new();
        for item in items {
            let Some(text) = self.string(item, "a lint code or name") else {
                continue;
            };
            let Some(rule) = crate::lint::codes::rule(&text) else {
                let known: Vec<String> = crate::lint::codes::RULES
                    .iter()
                    .map(|r| format!("{} ({})", r.code, r.name))
                    .collect();
                self.problem(
                    Problem::new(item.span, format!("unknown lint {text}"), "unknown lint")
                        .help(format!("restage lint knows {}", known.join(", "))),
                );
                continue;
            };
            if let Some(first) = allow.iter().find(|a| a.value == rule.code) {
                let first = first.span;
                self.problem(
                    Problem::new(
                        item.span,
                        format!("{} is allowed twice", rule.code),
                        "again",
                    )
                    .also(first, "first allowed here"),
                );
                continue;
            }
            allow.push(Located {
                value: rule.code.to_owned(),
                span: item.span,
            });
        }
        Some(Lint { allow })
    }

    fn plan_name(&mut self, node: &Node) -> Option<String> {
        let name = self.string(node, "the plan name")?;
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            self.problem(
                Problem::new(node.span, format!("plan name {name} is not allowed"), "not a plan name")
                    .help("a plan name is lower-case letters, digits and -, starting with a letter or digit"),
            );
            return None;
        }
        Some(name)
    }

    fn source(&mut self, node: &Node, span: SourceSpan) -> Option<Source> {
        let fields = self.fields(node, span, "source", &["listing", "schema", "dump"])?;
        let listing = self
            .required(&fields, "listing", "source")
            .and_then(|n| self.located_string(n, "the listing path"));
        let schema = fields
            .get("schema")
            .map(|n| self.located_string(n, "the schema SQL path"));
        let dump = self
            .required(&fields, "dump", "source")
            .and_then(|n| self.string(n, "the dump path"));
        Some(Source {
            listing: listing?,
            schema: schema.map_or(Some(None), |s| s.map(Some))?,
            dump: dump?,
        })
    }

    fn located_string(&mut self, node: &Node, what: &str) -> Option<Located<String>> {
        self.string(node, what).map(|value| Located {
            value,
            span: node.span,
        })
    }

    fn staging(&mut self, node: Option<&Node>, span: SourceSpan) -> Option<Staging> {
        let fields = match node {
            Some(node) => self.fields(node, span, "staging", &["schema", "retired", "unlogged"])?,
            None => Fields {
                entries: Vec::new(),
                span,
            },
        };
        let schema = self.schema_name(
            fields.get("schema"),
            DEFAULT_STAGING,
            "the staging schema",
            span,
        );
        let retired = self.schema_name(
            fields.get("retired"),
            DEFAULT_RETIRED,
            "the retired schema",
            span,
        );
        let unlogged = fields
            .get("unlogged")
            .map(|n| self.boolean(n, "staging.unlogged"));
        if let (Some(s), Some(r)) = (&schema, &retired)
            && s.value == r.value
        {
            self.problem(
                Problem::new(r.span, format!("the staging and retired schemas are both {}", r.value), "same as the staging schema")
                    .help("staging holds the restored tables until cutover, retired holds production's afterwards: give them different names"),
            );
        }
        Some(Staging {
            schema: schema?,
            retired: retired?,
            unlogged: unlogged.unwrap_or(Some(true))?,
            unlogged_explicit: fields.get("unlogged").is_some(),
            span,
        })
    }

    /// A schema name in PostgreSQL syntax (unquoted folds to lower case), or the default.
    fn schema_name(
        &mut self,
        node: Option<&Node>,
        default: &str,
        what: &str,
        span: SourceSpan,
    ) -> Option<Located<String>> {
        let Some(node) = node else {
            return Some(Located {
                value: default.to_owned(),
                span,
            });
        };
        let text = self.string(node, what)?;
        let tokens = crate::sql::lexer::tokenize(&text);
        let name = match tokens.as_slice() {
            [one] => one.ident_value(&text).map(std::borrow::Cow::into_owned),
            _ => None,
        };
        match name {
            Some(name) if !name.is_empty() && name.len() <= MAX_IDENT_BYTES => Some(Located {
                value: name,
                span: node.span,
            }),
            _ => {
                self.problem(
                    Problem::new(node.span, format!("{text} is not a schema name"), "not a schema name")
                        .help("one identifier, as in restore_staging or \"Restore Staging\", at most 63 bytes"),
                );
                None
            }
        }
    }

    /// The tables that could be read; the others are problems.
    fn tables(&mut self, node: &Node) -> Vec<PlanTable> {
        let Value::Seq(items) = &node.value else {
            self.expected(node, "a list of tables");
            return Vec::new();
        };
        if items.is_empty() {
            self.problem(
                Problem::new(node.span, "the plan restores no table", "empty list")
                    .help("list at least one table, as in - public.reading"),
            );
        }
        let mut tables: Vec<PlanTable> = Vec::new();
        let mut first_listed: HashMap<QualifiedName, SourceSpan> = HashMap::new();
        let read: Vec<PlanTable> = items.iter().filter_map(|item| self.table(item)).collect();
        for table in read {
            if let Some(&first) = first_listed.get(&table.name) {
                self.problem(
                    Problem::new(
                        table.span,
                        format!("{} is listed twice", table.name),
                        "listed again",
                    )
                    .also(first, "first listed here"),
                );
            } else {
                first_listed.insert(table.name.clone(), table.span);
                tables.push(table);
            }
        }
        tables
    }

    fn table(&mut self, node: &Node) -> Option<PlanTable> {
        match &node.value {
            Value::Str(_) => {
                let name = self.table_name(node)?;
                Some(PlanTable {
                    name,
                    span: node.span,
                    after: Vec::new(),
                    min_rows: None,
                    accept_orphans: false,
                    check_partitioned_references: false,
                    mode: Mode::Swap,
                })
            }
            Value::Map(_) => {
                let fields = self.fields(
                    node,
                    node.span,
                    "a table",
                    &[
                        "name",
                        "after",
                        "min_rows",
                        "accept_orphans",
                        "check_partitioned_references",
                        "mode",
                        "key",
                        "where",
                        "on_conflict",
                    ],
                )?;
                let mode = self.mode(&fields);
                let name_node = self.required(&fields, "name", "a table");
                let name = name_node.and_then(|n| self.table_name(n));
                let after = match fields.get("after") {
                    Some(node) => self.after(node),
                    None => Some(Vec::new()),
                };
                let min_rows = fields
                    .get("min_rows")
                    .map(|n| self.integer(n, "min_rows", 0..=i128::from(u64::MAX)));
                let accept_orphans = fields
                    .get("accept_orphans")
                    .map(|n| self.boolean(n, "accept_orphans"));
                let check_partitioned_references = fields
                    .get("check_partitioned_references")
                    .map(|n| self.boolean(n, "check_partitioned_references"));
                Some(PlanTable {
                    name: name?,
                    span: name_node?.span,
                    after: after?,
                    min_rows: match min_rows {
                        Some(n) => Some(u64::try_from(n?).ok()?),
                        None => None,
                    },
                    accept_orphans: match accept_orphans {
                        Some(accept) => accept?,
                        None => false,
                    },
                    check_partitioned_references: match check_partitioned_references {
                        Some(check) => check?,
                        None => false,
                    },
                    mode: mode?,
                })
            }
            _ => {
                self.expected(node, "a table name or a mapping with name:");
                None
            }
        }
    }

    /// `mode:` and the keys that go with it: a table is swapped unless it says `mode: recover`,
    /// and each mode refuses the other's keys rather than ignore them.
    fn mode(&mut self, fields: &Fields<'_>) -> Option<Mode> {
        let recover = match fields.get("mode") {
            None => false,
            Some(node) => match &node.value {
                Value::Str(mode) if mode == "swap" => false,
                Value::Str(mode) if mode == "recover" => true,
                _ => {
                    self.problem(
                        Problem::new(node.span, "mode must be swap or recover", "unknown mode")
                            .help("swap (the default) replaces the table with the dump's copy; recover inserts the dump's rows the table lacks and keeps everything else"),
                    );
                    return None;
                }
            },
        };
        let (theirs, mode) = if recover {
            (&SWAP_KEYS[..], "swap")
        } else {
            (&RECOVER_KEYS[..], "recover")
        };
        let mut misplaced = false;
        for key in theirs.iter().filter(|key| fields.get(key).is_some()) {
            misplaced = true;
            let help = if recover {
                "a recovered table stays in place: there is no cutover for this to change"
            } else {
                "add mode: recover to insert the dump's missing rows instead of replacing the table"
            };
            self.problem(
                Problem::new(
                    key_span(fields, key),
                    format!("{key} is for mode: {mode}"),
                    format!("only with mode: {mode}"),
                )
                .help(help),
            );
        }
        if misplaced {
            return None;
        }
        if !recover {
            return Some(Mode::Swap);
        }
        let key = match fields.get("key") {
            Some(node) => self.key_columns(node),
            None => Some(Vec::new()),
        };
        let filter = fields.get("where").map(|node| self.filter(node));
        let on_conflict = match fields.get("on_conflict") {
            None => Some(OnConflict::Skip),
            Some(node) => match &node.value {
                Value::Str(what) if what == "skip" => Some(OnConflict::Skip),
                Value::Str(what) if what == "overwrite" => Some(OnConflict::Overwrite),
                _ => {
                    self.problem(
                        Problem::new(node.span, "on_conflict must be skip or overwrite", "unknown")
                            .help("skip (the default): production's row wins; overwrite: the dump's row replaces it, and 60-undo-recover.sql can put production's back"),
                    );
                    None
                }
            },
        };
        Some(Mode::Recover(Recovery {
            span: key_span(fields, "mode"),
            key: key?,
            filter: match filter {
                Some(filter) => Some(filter?),
                None => None,
            },
            on_conflict: on_conflict?,
        }))
    }

    /// `key: [rental_id]`: column names in PostgreSQL syntax, none twice.
    fn key_columns(&mut self, node: &Node) -> Option<Vec<Located<String>>> {
        let Value::Seq(items) = &node.value else {
            self.expected(node, "a list of columns (key: [rental_id])");
            return None;
        };
        if items.is_empty() {
            self.problem(
                Problem::new(node.span, "key names no column", "empty list")
                    .help("leave key out to use the table's primary key"),
            );
            return None;
        }
        let mut columns: Vec<Located<String>> = Vec::new();
        let mut complete = true;
        for item in items {
            let Some(column) = self.column_name(item) else {
                complete = false;
                continue;
            };
            if let Some(first) = columns.iter().find(|c| c.value == column) {
                let first = first.span;
                self.problem(
                    Problem::new(
                        item.span,
                        format!("column {column} is in key twice"),
                        "again",
                    )
                    .also(first, "first here"),
                );
                complete = false;
                continue;
            }
            columns.push(Located {
                value: column,
                span: item.span,
            });
        }
        complete.then_some(columns)
    }

    /// One column name: an unquoted name (folded to lower case, as PostgreSQL folds it) or a
    /// quoted one.
    fn column_name(&mut self, node: &Node) -> Option<String> {
        let Value::Str(text) = &node.value else {
            self.expected(node, "a column name");
            return None;
        };
        let tokens: Vec<_> = crate::sql::lexer::tokenize(text)
            .into_iter()
            .filter(|t| t.kind != crate::sql::lexer::Kind::Whitespace)
            .collect();
        let name = match tokens.as_slice() {
            [one] => one.ident_value(text).filter(|name| !name.is_empty()),
            _ => None,
        };
        if name.is_none() {
            self.problem(
                Problem::new(node.span, format!("{text} is not a column name"), "not a column name")
                    .help("one column in PostgreSQL syntax: unquoted names fold to lower case, quote the others, as in '\"Rental Id\"'"),
            );
        }
        name.map(std::borrow::Cow::into_owned)
    }

    /// `where:`, the plan author's SQL, kept verbatim once it is one expression.
    fn filter(&mut self, node: &Node) -> Option<Located<String>> {
        let text = self.string(node, "where")?;
        match crate::sql::filter::one_expression(&text) {
            Ok(()) => Some(Located {
                value: text,
                span: node.span,
            }),
            Err(err) => {
                // Point inside the expression when the file holds it as is.
                let written = &self.text[node.span.offset()..node.span.offset() + node.span.len()];
                let span = match written.find(text.as_str()) {
                    Some(at) if written.len() - text.len() <= 2 => SourceSpan::new(
                        (node.span.offset() + at + err.at.start).into(),
                        err.at.len().max(1),
                    ),
                    _ => node.span,
                };
                self.problem(
                    Problem::new(span, format!("where is not one expression: {}", err.message), err.message)
                        .help("where: is a boolean expression over the dump's rows, as in rental_date >= '2022-05-01'; the scripts place it in WHERE (...)"),
                );
                None
            }
        }
    }

    /// The plan's `recover:` section.
    fn recover(&mut self, node: Option<&Node>, span: SourceSpan) -> Option<RecoverSettings> {
        let fields = match node {
            Some(node) => self.fields(
                node,
                span,
                "recover",
                &["batch_rows", "max_rows_per_second"],
            )?,
            None => Fields {
                entries: Vec::new(),
                span,
            },
        };
        let batch_rows = fields
            .get("batch_rows")
            .map(|n| self.integer(n, "recover.batch_rows", 1..=1_000_000));
        let max_rows_per_second = fields
            .get("max_rows_per_second")
            .map(|n| self.integer(n, "recover.max_rows_per_second", 1..=i128::from(u64::MAX)));
        Some(RecoverSettings {
            batch_rows: u32::try_from(batch_rows.unwrap_or(Some(DEFAULT_BATCH_ROWS.into()))?)
                .ok()?,
            max_rows_per_second: match max_rows_per_second {
                Some(rate) => Some(u64::try_from(rate?).ok()?),
                None => None,
            },
        })
    }

    fn after(&mut self, node: &Node) -> Option<Vec<Located<QualifiedName>>> {
        let Value::Seq(items) = &node.value else {
            self.expected(node, "a list of tables (after: [public.reading])");
            return None;
        };
        let names: Vec<_> = items
            .iter()
            .map(|item| {
                self.table_name(item).map(|value| Located {
                    value,
                    span: item.span,
                })
            })
            .collect();
        names.into_iter().collect()
    }

    fn table_name(&mut self, node: &Node) -> Option<QualifiedName> {
        let Value::Str(text) = &node.value else {
            self.expected(node, "a table name such as public.reading");
            return None;
        };
        match QualifiedName::parse(text) {
            Ok(name) => Some(name),
            Err(err) => {
                // Point inside the name when the file holds it as is (a plain YAML scalar).
                let written = &self.text[node.span.offset()..node.span.offset() + node.span.len()];
                let source_span = if written == text {
                    let len = err.at.len().max(usize::from(err.at.start < text.len()));
                    SourceSpan::new((node.span.offset() + err.at.start).into(), len)
                } else {
                    node.span
                };
                self.problem(
                    Problem::new(source_span, format!("{text} is not a table name: {}", err.message), "not a table name")
                        .help("write schema.table in PostgreSQL syntax: unquoted parts fold to lower case, quote the others, as in '\"Weird Schema\".\"Order Items\"'"),
                );
                None
            }
        }
    }

    fn cutover(&mut self, node: Option<&Node>, span: SourceSpan) -> Option<Cutover> {
        let fields = match node {
            Some(node) => self.fields(
                node,
                span,
                "cutover",
                &["lock_timeout", "statement_timeout", "retries"],
            )?,
            None => Fields {
                entries: Vec::new(),
                span,
            },
        };
        let lock_timeout = self.duration(
            fields.get("lock_timeout"),
            "cutover.lock_timeout",
            DEFAULT_LOCK_TIMEOUT,
        );
        let statement_timeout = self.duration(
            fields.get("statement_timeout"),
            "cutover.statement_timeout",
            DEFAULT_STATEMENT_TIMEOUT,
        );
        let retries = fields
            .get("retries")
            .map(|n| self.integer(n, "cutover.retries", 0..=1000));
        Some(Cutover {
            lock_timeout: lock_timeout?,
            statement_timeout: statement_timeout?,
            retries: u32::try_from(retries.unwrap_or(Some(i128::from(DEFAULT_RETRIES)))?).ok()?,
        })
    }

    /// `2s`, `500ms`, `1min`, `1h`, or a number of milliseconds, as PostgreSQL reads them.
    fn duration(
        &mut self,
        node: Option<&Node>,
        what: &str,
        default_millis: u64,
    ) -> Option<Duration> {
        let Some(node) = node else {
            return Some(Duration {
                millis: default_millis,
            });
        };
        let millis = match &node.value {
            Value::Int(n) => u64::try_from(*n).ok(),
            Value::Str(text) => Duration::parse(text).map(|d| d.millis),
            _ => None,
        };
        match millis {
            Some(millis) if millis > 0 => Some(Duration { millis }),
            _ => {
                self.problem(
                    Problem::new(node.span, format!("{what} is not a duration"), "not a duration")
                        .help("a positive number with a unit: ms, s, min, h (as in 2s or 500ms); a bare number is milliseconds"),
                );
                None
            }
        }
    }

    fn load(&mut self, node: Option<&Node>, span: SourceSpan) -> Option<Load> {
        let fields = match node {
            Some(node) => self.fields(node, span, "load", &["jobs", "max_rate"])?,
            None => Fields {
                entries: Vec::new(),
                span,
            },
        };
        let jobs = fields
            .get("jobs")
            .map(|n| self.integer(n, "load.jobs", 1..=64));
        let max_rate = fields.get("max_rate").map(|n| self.rate(n));
        Some(Load {
            jobs: u32::try_from(jobs.unwrap_or(Some(1))?).ok()?,
            max_rate: match max_rate {
                Some(rate) => Some(rate?),
                None => None,
            },
        })
    }

    /// Bytes per second: a number, or with kB, MB or GB (`50MB`).
    fn rate(&mut self, node: &Node) -> Option<u64> {
        let rate = match &node.value {
            Value::Int(n) => u64::try_from(*n).ok().filter(|n| *n > 0),
            Value::Str(text) => crate::units::parse_rate(text),
            _ => None,
        };
        if rate.is_none() {
            self.problem(
                Problem::new(node.span, "load.max_rate is not a rate", "not a rate")
                    .help("bytes per second: a positive number, or with kB, MB or GB (powers of 1024), as in 50MB"),
            );
        }
        rate
    }
}

fn key_span(fields: &Fields<'_>, key: &str) -> SourceSpan {
    fields
        .entries
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(fields.span, |(_, key, _)| key.span)
}
