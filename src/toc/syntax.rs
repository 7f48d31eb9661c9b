//! nom grammar for single lines of a `pg_restore -l [-v]` listing.
//!
//! An entry line is `<dumpId>; <tableoid> <oid> <desc> <schema> <tag> <owner>`, fields joined by
//! single spaces and never quoted. This grammar splits off what can be split by syntax alone
//! (the numbers and the desc); the schema/tag/owner remainder needs the whole listing and is
//! resolved in `names`.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while1},
    character::complete::{char, space0},
    combinator::{all_consuming, map, opt, rest},
    error::{ContextError, ErrorKind, FromExternalError, ParseError, context},
    multi::fold_many0,
    sequence::preceded,
};

use super::desc::{self, Desc};

/// Where a line stopped making sense, and what the grammar expected there.
#[derive(Debug, PartialEq)]
pub(super) struct SyntaxError<'a> {
    pub at: &'a str,
    pub expected: &'static str,
}

impl<'a> ParseError<&'a str> for SyntaxError<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        SyntaxError {
            at: input,
            expected: "",
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

impl<'a> ContextError<&'a str> for SyntaxError<'a> {
    /// The innermost context names what was expected; outer ones only wrap it.
    fn add_context(_input: &'a str, ctx: &'static str, mut other: Self) -> Self {
        if other.expected.is_empty() {
            other.expected = ctx;
        }
        other
    }
}

impl<'a, E> FromExternalError<&'a str, E> for SyntaxError<'a> {
    fn from_external_error(input: &'a str, kind: ErrorKind, _e: E) -> Self {
        Self::from_error_kind(input, kind)
    }
}

type Res<'a, O> = IResult<&'a str, O, SyntaxError<'a>>;

/// A decimal `u32`, read as bytes: nom's `u32` decodes the input character by character, and a
/// listing is mostly numbers.
fn number(input: &str) -> Res<'_, u32> {
    let mut value: u32 = 0;
    let mut digits = 0;
    for &byte in input.as_bytes() {
        if !byte.is_ascii_digit() {
            break;
        }
        let Some(next) = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u32::from(byte - b'0')))
        else {
            // Too large for a u32: not a number here, as for nom's `u32`.
            digits = 0;
            break;
        };
        value = next;
        digits += 1;
    }
    if digits == 0 {
        return Err(nom::Err::Error(SyntaxError::from_error_kind(
            input,
            ErrorKind::Digit,
        )));
    }
    Ok((&input[digits..], value))
}

/// An entry's desc: one pg_dump writes, or a word this parser does not know.
#[derive(Debug, PartialEq)]
pub(super) enum ObjectType<'a> {
    Known(Desc),
    Unknown(&'a str),
}

/// The part of an entry line that syntax alone can split.
#[derive(Debug, PartialEq)]
pub(super) struct EntryLine<'a> {
    pub id: u32,
    pub tableoid: u32,
    pub oid: u32,
    pub desc: ObjectType<'a>,
    /// `<schema> <tag> <owner>`, exactly as printed (the owner may be empty).
    pub remainder: &'a str,
}

/// `<dumpId>; <tableoid> <oid> <desc> <remainder>`
pub(super) fn entry_line(input: &str) -> Result<EntryLine<'_>, SyntaxError<'_>> {
    let parser = (
        context("a dump id (a positive number)", number),
        context("\"; \" after the dump id", tag("; ")),
        context("the catalog table OID (a number)", number),
        context("a single space after the catalog table OID", char(' ')),
        context("the object OID (a number)", number),
        context("a single space after the object OID", char(' ')),
        context("an object type such as TABLE DATA", object_type),
        context(
            "\"<schema> <name> <owner>\" after the object type",
            remainder,
        ),
    );
    all_consuming(parser)
        .parse(input)
        .map(
            |(_, (id, _, tableoid, _, oid, _, desc, remainder))| EntryLine {
                id,
                tableoid,
                oid,
                desc,
                remainder,
            },
        )
        .map_err(|err| match err {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => SyntaxError {
                at: "",
                expected: "a complete line",
            },
        })
}

/// A known desc (longest first), or else one word kept as an unknown desc.
fn object_type(input: &str) -> Res<'_, ObjectType<'_>> {
    if let Some((desc, after)) = desc::match_known(input) {
        return Ok((after, ObjectType::Known(desc)));
    }
    let (after, word) = take_while1(|c: char| c != ' ')(input)?;
    let (after, _) = char(' ')(after)?;
    Ok((after, ObjectType::Unknown(word)))
}

/// Schema, tag and owner joined by spaces: at least two separators, since the owner may be
/// empty but its separator is always printed.
fn remainder(input: &str) -> Res<'_, &str> {
    if input.bytes().filter(|&b| b == b' ').nth(1).is_some() {
        rest(input)
    } else {
        Err(nom::Err::Error(SyntaxError::from_error_kind(
            input,
            ErrorKind::Verify,
        )))
    }
}

/// The prefix of a depends-on line, `;<TAB>depends on: 217 216 217`.
pub(super) const DEPENDS_ON: &str = ";\tdepends on:";

/// The list of a depends-on line (what follows `DEPENDS_ON`), its dump ids added to `deps`.
pub(super) fn depends_list<'a>(list: &'a str, deps: &mut Vec<u32>) -> Result<(), SyntaxError<'a>> {
    let mut parser = all_consuming((
        fold_many0(
            preceded(char::<_, SyntaxError>(' '), number),
            || (),
            |(), dep| deps.push(dep),
        ),
        space0,
    ));
    parser.parse(list).map(|_| ()).map_err(|err| match err {
        nom::Err::Error(e) | nom::Err::Failure(e) => SyntaxError {
            expected: "a dump id in the depends-on list",
            ..e
        },
        nom::Err::Incomplete(_) => SyntaxError {
            at: "",
            expected: "a complete line",
        },
    })
}

/// A header field: `;     <key>: <value>` (a `;` and exactly five spaces).
#[derive(Debug, PartialEq)]
pub(super) struct HeaderField<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

pub(super) fn header_field(input: &str) -> Option<HeaderField<'_>> {
    let parser = preceded(
        tag::<_, _, nom::error::Error<&str>>(";     "),
        (
            take_while1(|c: char| c != ':'),
            preceded(
                tag(":"),
                map(opt(preceded(char(' '), rest)), Option::unwrap_or_default),
            ),
        ),
    );
    all_consuming(parser)
        .parse(input)
        .ok()
        .map(|(_, (key, value))| HeaderField { key, value })
}

/// `; Archive created at <timestamp>`
pub(super) fn created_at(input: &str) -> Option<&str> {
    input.strip_prefix("; Archive created at ")
}

/// `<n> bytes`, the form of the Integer and Offset header fields.
pub(super) fn byte_count(input: &str) -> Result<u32, SyntaxError<'_>> {
    all_consuming((context("a number of bytes", number), tag(" bytes")))
        .parse(input)
        .map(|(_, (n, _))| n)
        .map_err(|err| match err {
            nom::Err::Error(e) | nom::Err::Failure(e) => SyntaxError {
                expected: "\"<n> bytes\"",
                ..e
            },
            nom::Err::Incomplete(_) => SyntaxError {
                at: "",
                expected: "\"<n> bytes\"",
            },
        })
}

pub(super) fn whole_number(input: &str) -> Result<u32, SyntaxError<'_>> {
    all_consuming(number)
        .parse(input)
        .map(|(_, n)| n)
        .map_err(|_| SyntaxError {
            at: input,
            expected: "a number",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> EntryLine<'_> {
        entry_line(line).unwrap_or_else(|e| panic!("{line:?}: {e:?}"))
    }

    fn column(line: &str, err: &SyntaxError) -> usize {
        line.len() - err.at.len() + 1
    }

    #[test]
    fn splits_numbers_desc_and_remainder() {
        let e = ok("3391; 0 17584 TABLE DATA public reading postgres");
        assert_eq!((e.id, e.tableoid, e.oid), (3391, 0, 17584));
        assert_eq!(e.desc, ObjectType::Known(Desc::TableData));
        assert_eq!(e.remainder, "public reading postgres");
    }

    #[test]
    fn keeps_the_empty_owner() {
        let e = ok("2; 3079 16470 EXTENSION - pg_trgm ");
        assert_eq!(e.desc, ObjectType::Known(Desc::Extension));
        assert_eq!(e.remainder, "- pg_trgm ");
    }

    #[test]
    fn keeps_an_unknown_desc() {
        let e = ok("12; 1 2 FROBNICATOR public f postgres");
        assert_eq!(e.desc, ObjectType::Unknown("FROBNICATOR"));
        assert_eq!(e.remainder, "public f postgres");
    }

    #[test]
    fn rejects_a_bad_id_at_its_column() {
        let line = "34x; 1 2 TABLE public t postgres";
        let err = entry_line(line).unwrap_err();
        assert_eq!(column(line, &err), 3);
        assert_eq!(err.expected, "\"; \" after the dump id");
    }

    #[test]
    fn rejects_a_missing_oid() {
        let line = "34; 1 TABLE public t postgres";
        let err = entry_line(line).unwrap_err();
        assert_eq!(column(line, &err), 7);
        assert_eq!(err.expected, "the object OID (a number)");
    }

    #[test]
    fn rejects_an_id_out_of_range() {
        let line = "99999999999; 1 2 TABLE public t postgres";
        let err = entry_line(line).unwrap_err();
        assert_eq!(column(line, &err), 1);
        assert_eq!(err.expected, "a dump id (a positive number)");
    }

    #[test]
    fn rejects_a_line_without_owner_separator() {
        let line = "34; 1 2 TABLE public";
        let err = entry_line(line).unwrap_err();
        assert_eq!(column(line, &err), 15);
        assert_eq!(
            err.expected,
            "\"<schema> <name> <owner>\" after the object type"
        );
    }

    #[test]
    fn numbers_are_u32_as_nom_reads_them() {
        assert_eq!(number("4294967295 x"), Ok((" x", u32::MAX)));
        assert_eq!(number("007;"), Ok((";", 7)));
        for not_one in ["4294967296", "", "+1", "-1", " 1"] {
            let Err(nom::Err::Error(e)) = number(not_one) else {
                panic!("{not_one:?} read as a number");
            };
            assert_eq!(e.at, not_one);
        }
    }

    #[test]
    fn parses_depends_on_with_duplicates() {
        let list = |line: &'static str| {
            let mut deps = vec![1];
            depends_list(line.strip_prefix(DEPENDS_ON).expect("prefix"), &mut deps).map(|()| deps)
        };
        assert_eq!(
            list(";\tdepends on: 217 216 217"),
            Ok(vec![1, 217, 216, 217])
        );
        assert_eq!(list(";\tdepends on:"), Ok(vec![1]));
        assert_eq!("; depends on: 1".strip_prefix(DEPENDS_ON), None);
        let line = ";\tdepends on: 217 x";
        let err = list(line).unwrap_err();
        assert_eq!(column(line, &err), 19);
    }

    #[test]
    fn parses_header_fields() {
        assert_eq!(
            header_field(";     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)"),
            Some(HeaderField {
                key: "Dumped from database version",
                value: "15.18 (Debian 15.18-0+deb12u1)"
            })
        );
        assert_eq!(
            header_field(";     dbname: "),
            Some(HeaderField {
                key: "dbname",
                value: ""
            })
        );
        assert_eq!(header_field("; Selected TOC Entries:"), None);
        assert_eq!(byte_count("4 bytes"), Ok(4));
        assert!(byte_count("four bytes").is_err());
    }
}
