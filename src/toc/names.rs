//! Splitting `<schema> <tag> <owner>` with what the listing itself knows.
//!
//! All three parts may contain spaces and none is quoted, so a line alone cannot always be
//! split. The owner is the last space-separated token (none when the line ends in a space);
//! the schema is a schema name the listing knows (its `SCHEMA` entries, `public`,
//! `pg_catalog`, or `-` for none) that the rest starts with; the name is what lies between.
//! When that leaves more than one split, every split is kept: the caller decides, with
//! information the listing does not have (a plan's exact table names).
//!
//! Splits are byte ranges into the entry's line, so resolving allocates nothing in the common
//! case of exactly one reading.

use std::collections::HashSet;
use std::ops::Range;

use serde::Serialize;

/// One reading of an entry's schema, name and owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Names<'a> {
    pub schema: Option<&'a str>,
    pub name: &'a str,
    pub owner: Option<&'a str>,
}

/// Where schema, name and owner lie in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Split {
    schema: Option<Range<usize>>,
    name: Range<usize>,
    owner: Option<Range<usize>>,
}

impl Split {
    pub(super) fn read<'a>(&self, line: &'a str) -> Names<'a> {
        Names {
            schema: self.schema.clone().map(|r| &line[r]),
            name: &line[self.name.clone()],
            owner: self.owner.clone().map(|r| &line[r]),
        }
    }
}

/// Every split the listing supports for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Readings {
    One(Split),
    /// Two or more.
    Many(Vec<Split>),
}

impl Readings {
    pub(super) fn as_slice(&self) -> &[Split] {
        match self {
            Readings::One(split) => std::slice::from_ref(split),
            Readings::Many(splits) => splits,
        }
    }

    /// The one reading of `line`, unless there are more.
    pub(super) fn one<'a>(&self, line: &'a str) -> Option<Names<'a>> {
        match self {
            Readings::One(split) => Some(split.read(line)),
            Readings::Many(_) => None,
        }
    }

    /// Every reading of `line`.
    pub(super) fn all<'a>(&self, line: &'a str) -> impl ExactSizeIterator<Item = Names<'a>> {
        self.as_slice().iter().map(move |split| split.read(line))
    }

    pub(super) fn is_ambiguous(&self) -> bool {
        matches!(self, Readings::Many(_))
    }

    pub(super) fn count(&self) -> usize {
        self.as_slice().len()
    }

    fn collect(splits: impl Iterator<Item = Split>) -> Option<Readings> {
        let mut splits = splits.peekable();
        let first = splits.next()?;
        if splits.peek().is_none() {
            return Some(Readings::One(first));
        }
        Some(Readings::Many(
            std::iter::once(first).chain(splits).collect(),
        ))
    }
}

/// The schemas a listing knows by name.
#[derive(Debug, Default)]
pub(super) struct KnownSchemas(HashSet<String, foldhash::fast::RandomState>);

impl KnownSchemas {
    pub(super) fn new<'a>(listed: impl IntoIterator<Item = &'a str>) -> Self {
        let mut known: HashSet<String, _> = listed.into_iter().map(str::to_owned).collect();
        known.insert("public".to_owned());
        known.insert("pg_catalog".to_owned());
        KnownSchemas(known)
    }

    fn fits(&self, schema: &str) -> bool {
        schema == "-" || self.0.contains(schema)
    }
}

/// The byte length of what precedes the owner, and the owner's range: the owner is the last
/// token, or none when the remainder ends in the space that precedes an empty owner.
pub(super) fn split_owner(remainder: &str) -> (usize, Option<Range<usize>>) {
    match remainder.bytes().rposition(|b| b == b' ') {
        Some(at) if at + 1 == remainder.len() => (at, None),
        Some(at) => (at, Some(at + 1..remainder.len())),
        None => (remainder.len(), None),
    }
}

/// Every reading of `line[at..]` as `<schema> <name> <owner>`.
pub(super) fn resolve(line: &str, at: usize, known: &KnownSchemas) -> Readings {
    // Most bodies hold one space: one split, the reading whether or not the listing knows
    // its schema, with nothing to look up.
    let (body, owner) = body_and_owner(line, at);
    let mut every = splits(line, body.clone(), owner.clone());
    if let (Some(only), None) = (every.next(), every.next()) {
        return Readings::One(only);
    }
    if let Some(readings) = known_readings(line, body.clone(), owner.clone(), known) {
        return readings;
    }
    // No schema the listing knows (a dump made with `-t` lists no SCHEMA entries): the first
    // token is the schema, and every other split is as good when the name holds a space.
    Readings::collect(splits(line, body.clone(), owner.clone())).unwrap_or(Readings::One(Split {
        schema: None,
        name: body,
        owner,
    }))
}

/// The readings whose schema is one the listing knows (or `-`); `None` when none fits.
pub(super) fn resolve_known(line: &str, at: usize, known: &KnownSchemas) -> Option<Readings> {
    let (body, owner) = body_and_owner(line, at);
    known_readings(line, body, owner, known)
}

fn known_readings(
    line: &str,
    body: Range<usize>,
    owner: Option<Range<usize>>,
    known: &KnownSchemas,
) -> Option<Readings> {
    Readings::collect(splits(line, body, owner).filter(|s| {
        s.schema
            .as_ref()
            .is_none_or(|r| known.fits(&line[r.clone()]))
    }))
}

fn body_and_owner(line: &str, at: usize) -> (Range<usize>, Option<Range<usize>>) {
    let (body_len, owner) = split_owner(&line[at..]);
    (at..at + body_len, owner.map(|r| at + r.start..at + r.end))
}

/// A split at every space of `body`; the schema `-` reads as none.
fn splits(
    line: &str,
    body: Range<usize>,
    owner: Option<Range<usize>>,
) -> impl Iterator<Item = Split> + '_ {
    let start = body.start;
    // Names are short: a plain loop finds their spaces sooner than a vectorized search.
    line.as_bytes()[body.clone()]
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b' ')
        .map(move |(space, _)| {
            let schema = start..start + space;
            Split {
                schema: (&line[schema.clone()] != "-").then_some(schema),
                name: start + space + 1..body.end,
                owner: owner.clone(),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(extra: &[&str]) -> KnownSchemas {
        KnownSchemas::new(extra.iter().copied())
    }

    type Reading<'a> = (Option<&'a str>, &'a str, Option<&'a str>);

    fn read<'a>(remainder: &'a str, schemas: &[&str]) -> Vec<Reading<'a>> {
        resolve(remainder, 0, &known(schemas))
            .as_slice()
            .iter()
            .map(|s| {
                let n = s.read(remainder);
                (n.schema, n.name, n.owner)
            })
            .collect()
    }

    #[test]
    fn plain_names() {
        assert_eq!(
            read("public reading postgres", &[]),
            [(Some("public"), "reading", Some("postgres"))]
        );
    }

    #[test]
    fn dash_means_no_schema() {
        assert_eq!(
            read("- app app_owner", &["app"]),
            [(None, "app", Some("app_owner"))]
        );
    }

    #[test]
    fn empty_owner() {
        assert_eq!(read("- pg_trgm ", &[]), [(None, "pg_trgm", None)]);
        assert_eq!(read("- BLOBS ", &[]), [(None, "BLOBS", None)]);
    }

    #[test]
    fn schema_with_spaces_is_found_among_known_schemas() {
        assert_eq!(
            read("Weird Schema Order Items postgres", &["Weird Schema"]),
            [(Some("Weird Schema"), "Order Items", Some("postgres"))]
        );
    }

    #[test]
    fn names_keep_leading_and_trailing_spaces() {
        let app = &["app"];
        assert_eq!(
            read("app trailing space  postgres", app),
            [(Some("app"), "trailing space ", Some("postgres"))]
        );
        assert_eq!(
            read("app   leading postgres", app),
            [(Some("app"), "  leading", Some("postgres"))]
        );
        assert_eq!(
            read("app trailing space  ", app),
            [(Some("app"), "trailing space ", None)]
        );
    }

    #[test]
    fn a_table_named_like_a_desc_in_a_schema_named_like_one() {
        assert_eq!(
            read("TABLE DATA TABLE DATA postgres", &["TABLE DATA"]),
            [(Some("TABLE DATA"), "TABLE DATA", Some("postgres"))]
        );
    }

    #[test]
    fn quoted_comment_and_acl_tags_stay_whole() {
        assert_eq!(
            read("app TABLE \"My Table\" postgres", &["app"]),
            [(Some("app"), "TABLE \"My Table\"", Some("postgres"))]
        );
        assert_eq!(
            read("app FUNCTION f(a integer, b text) postgres", &["app"]),
            [(
                Some("app"),
                "FUNCTION f(a integer, b text)",
                Some("postgres")
            )]
        );
    }

    #[test]
    fn semicolons_and_non_ascii_are_plain_characters() {
        assert_eq!(
            read("app a;b ünï postgres", &["app"]),
            [(Some("app"), "a;b ünï", Some("postgres"))]
        );
    }

    #[test]
    fn without_known_schema_the_first_token_is_the_schema() {
        assert_eq!(
            read("sales orders postgres", &[]),
            [(Some("sales"), "orders", Some("postgres"))]
        );
    }

    #[test]
    fn without_known_schema_a_spaced_name_is_ambiguous() {
        assert_eq!(
            read("Weird Schema Order Items postgres", &[]),
            [
                (Some("Weird"), "Schema Order Items", Some("postgres")),
                (Some("Weird Schema"), "Order Items", Some("postgres")),
                (Some("Weird Schema Order"), "Items", Some("postgres")),
            ]
        );
    }

    #[test]
    fn two_fitting_known_schemas_are_ambiguous() {
        assert_eq!(
            read("app x y postgres", &["app", "app x"]),
            [
                (Some("app"), "x y", Some("postgres")),
                (Some("app x"), "y", Some("postgres"))
            ]
        );
    }

    #[test]
    fn owner_with_a_space_cannot_be_told_apart() {
        // A role "Report Bot" owning app.t reads as table "t Report" owned by "Bot": the listing
        // alone cannot tell; the schema SQL settles owners.
        assert_eq!(
            read("app t Report Bot", &["app"]),
            [(Some("app"), "t Report", Some("Bot"))]
        );
    }

    #[test]
    fn ranges_are_relative_to_the_whole_line() {
        let line = "217; 1259 16389 TABLE app customer postgres";
        let readings = resolve(line, 22, &known(&["app"]));
        let names = readings.as_slice()[0].read(line);
        assert_eq!(
            (names.schema, names.name, names.owner),
            (Some("app"), "customer", Some("postgres"))
        );
    }
}
