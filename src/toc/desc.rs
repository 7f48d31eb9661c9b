//! The object types (`desc`) pg_dump writes into a TOC, PostgreSQL 9.6 through 18.
//!
//! A desc may hold spaces (`TABLE DATA`, `MATERIALIZED VIEW DATA`), and one desc can be a
//! prefix of another (`TABLE` of `TABLE DATA`, `BLOB` of `BLOBS`), so matching takes the
//! longest known desc that is followed by a space.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

/// Every desc pg_dump 9.6–18 emits, plus the legacy ones old archives still carry, with its
/// text. Listed longest first: `match_known` relies on it.
macro_rules! descs {
    ($($variant:ident => $text:literal,)*) => {
        /// What a TOC entry is, as pg_dump names it.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Desc {
            $($variant,)*
            /// A desc this restage does not know, kept as the listing prints it.
            Unknown(String),
        }

        const KNOWN: &[(&str, Desc)] = &[$(($text, Desc::$variant),)*];

        impl Desc {
            /// As the listing prints it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Desc::$variant => $text,)*
                    Desc::Unknown(text) => text,
                }
            }
        }
    };
}

descs! {
    PublicationTablesInSchema => "PUBLICATION TABLES IN SCHEMA",
    TextSearchConfiguration => "TEXT SEARCH CONFIGURATION",
    PgLargeobjectMetadata => "pg_largeobject_metadata",
    MaterializedViewData => "MATERIALIZED VIEW DATA",
    TextSearchDictionary => "TEXT SEARCH DICTIONARY",
    ForeignDataWrapper => "FOREIGN DATA WRAPPER",
    TextSearchTemplate => "TEXT SEARCH TEMPLATE",
    DatabaseProperties => "DATABASE PROPERTIES",
    ProceduralLanguage => "PROCEDURAL LANGUAGE",
    SubscriptionTable => "SUBSCRIPTION TABLE",
    TextSearchParser => "TEXT SEARCH PARSER",
    MaterializedView => "MATERIALIZED VIEW",
    PublicationTable => "PUBLICATION TABLE",
    SequenceOwnedBy => "SEQUENCE OWNED BY",
    CheckConstraint => "CHECK CONSTRAINT",
    OperatorFamily => "OPERATOR FAMILY",
    StatisticsData => "STATISTICS DATA",
    OperatorClass => "OPERATOR CLASS",
    SecurityLabel => "SECURITY LABEL",
    PgLargeobject => "pg_largeobject",
    AccessMethod => "ACCESS METHOD",
    BlobComments => "BLOB COMMENTS",
    BlobMetadata => "BLOB METADATA",
    EventTrigger => "EVENT TRIGGER",
    FkConstraint => "FK CONSTRAINT",
    ForeignTable => "FOREIGN TABLE",
    AclLanguage => "ACL LANGUAGE",
    IndexAttach => "INDEX ATTACH",
    RowSecurity => "ROW SECURITY",
    SequenceSet => "SEQUENCE SET",
    Subscription => "SUBSCRIPTION",
    TableAttach => "TABLE ATTACH",
    UserMapping => "USER MAPPING",
    DefaultAcl => "DEFAULT ACL",
    Publication => "PUBLICATION",
    Constraint => "CONSTRAINT",
    Conversion => "CONVERSION",
    Searchpath => "SEARCHPATH",
    ShellType => "SHELL TYPE",
    Statistics => "STATISTICS",
    Stdstrings => "STDSTRINGS",
    TableData => "TABLE DATA",
    Aggregate => "AGGREGATE",
    Collation => "COLLATION",
    Extension => "EXTENSION",
    Procedure => "PROCEDURE",
    Transform => "TRANSFORM",
    Database => "DATABASE",
    Encoding => "ENCODING",
    Function => "FUNCTION",
    Operator => "OPERATOR",
    Sequence => "SEQUENCE",
    Comment => "COMMENT",
    Default => "DEFAULT",
    Trigger => "TRIGGER",
    Init => "<Init>",
    Domain => "DOMAIN",
    Policy => "POLICY",
    Schema => "SCHEMA",
    Server => "SERVER",
    Blobs => "BLOBS",
    Index => "INDEX",
    Table => "TABLE",
    Blob => "BLOB",
    Cast => "CAST",
    Rule => "RULE",
    Type => "TYPE",
    View => "VIEW",
    Acl => "ACL",
}

impl Desc {
    /// The desc printed as `text` (a schema SQL block's `Type:`), known or not.
    pub fn from_text(text: &str) -> Desc {
        KNOWN
            .iter()
            .find(|(known, _)| *known == text)
            .map_or_else(|| Desc::Unknown(text.to_owned()), |(_, desc)| desc.clone())
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Desc::Unknown(_))
    }
}

impl fmt::Display for Desc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Desc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

type ByFirstWord =
    HashMap<&'static str, Vec<&'static (&'static str, Desc)>, foldhash::fast::FixedState>;

/// Known descs by their first word, each list longest first.
static BY_FIRST_WORD: LazyLock<ByFirstWord> = LazyLock::new(|| {
    let mut index = ByFirstWord::default();
    for known in KNOWN {
        let first = known.0.split(' ').next().unwrap_or(known.0);
        index.entry(first).or_default().push(known);
    }
    index
});

/// The longest known desc at the start of `text` that is followed by a space, and the text
/// after that space.
pub(super) fn match_known(text: &str) -> Option<(Desc, &str)> {
    let first = &text[..text.bytes().position(|b| b == b' ')?];
    BY_FIRST_WORD.get(first)?.iter().find_map(|(known, desc)| {
        text.strip_prefix(known)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(|rest| (desc.clone(), rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_descs_are_sorted_longest_first() {
        for pair in KNOWN.windows(2) {
            assert!(
                pair[0].0.len() >= pair[1].0.len(),
                "{:?} must come before {:?}",
                pair[1],
                pair[0]
            );
        }
    }

    #[test]
    fn every_desc_that_prefixes_another_comes_after_it() {
        for (i, (short, _)) in KNOWN.iter().enumerate() {
            for (long, _) in &KNOWN[i + 1..] {
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
            assert_eq!(
                match_known(text).map(|(d, r)| (d.as_str().to_owned(), r)),
                Some((desc.to_owned(), rest)),
                "{text}"
            );
        }
    }

    #[test]
    fn a_desc_must_be_followed_by_a_space() {
        assert_eq!(match_known("TABLEX public t postgres"), None);
        assert_eq!(match_known("PROPERTY GRAPH public g postgres"), None);
        assert_eq!(match_known("TABLE"), None);
    }
}
