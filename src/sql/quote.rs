//! Quoting: the one way restage writes identifiers, SQL literals and shell words.
//!
//! Every name that came from input reaches generated SQL through `ident`, every value through
//! `literal`, and every word in a shell script through `shell_word`. Nothing is pasted raw.

/// Keywords that PostgreSQL 18 does not accept as bare names (categories reserved, column-name
/// and type/function-name: `SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'`).
/// Unreserved keywords need no quotes, exactly as in `quote_ident()`.
const NON_UNRESERVED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `name` as PostgreSQL's `quote_ident()` writes it: bare when it is a lower-case simple name
/// (`[a-z_][a-z0-9_]*`) that is not a keyword needing quotes, double-quoted otherwise.
pub fn ident(name: &str) -> String {
    if is_bare(name) {
        return name.to_owned();
    }
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        if c == '"' {
            quoted.push('"');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

fn is_bare(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    starts_well
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && NON_UNRESERVED_KEYWORDS.binary_search(&name).is_err()
}

/// `value` as PostgreSQL's `quote_literal()` writes it: single quotes doubled, and the `E''`
/// form with doubled backslashes when the value holds one, so that it reads the same whatever
/// `standard_conforming_strings` is.
pub fn literal(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 3);
    if value.contains('\\') {
        quoted.push('E');
    }
    quoted.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// `word` as one POSIX shell word: bare when it holds only characters no shell treats
/// specially, single-quoted otherwise (a single quote becomes `'\''`).
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    if plain {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        assert!(NON_UNRESERVED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn identifiers() {
        let cases = [
            ("reading", "reading"),
            ("_x1", "_x1"),
            ("Mixed Case", r#""Mixed Case""#),
            ("Reading", r#""Reading""#),
            ("select", r#""select""#),
            ("from", r#""from""#),
            ("user", r#""user""#),
            ("name", "name"),
            ("value", "value"),
            ("int", r#""int""#),
            ("left", r#""left""#),
            (r#"we"ird"#, r#""we""ird""#),
            ("ünïcödé", r#""ünïcödé""#),
            ("1abc", r#""1abc""#),
            ("a$b", r#""a$b""#),
            ("", r#""""#),
            (" padded ", r#"" padded ""#),
            ("semi;colon", r#""semi;colon""#),
        ];
        for (name, quoted) in cases {
            assert_eq!(ident(name), quoted, "{name:?}");
        }
    }

    #[test]
    fn literals() {
        assert_eq!(literal("plain"), "'plain'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal(r"back\slash"), r"E'back\\slash'");
        assert_eq!(literal(r"both\'"), r"E'both\\'''");
        assert_eq!(literal(""), "''");
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_word("load/0001-public.reading.list"),
            "load/0001-public.reading.list"
        );
        assert_eq!(shell_word("Weird Schema"), "'Weird Schema'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word(""), "''");
    }
}
