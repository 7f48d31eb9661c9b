use super::*;
use crate::sql::QualifiedName;

fn mapping(pairs: &[(&str, &str)]) -> Mapping {
    pairs
        .iter()
        .map(|(s, t)| {
            (
                QualifiedName::parse(s).expect("source"),
                QualifiedName::parse(t).expect("target"),
            )
        })
        .collect()
}

fn run(input: &str, pairs: &[(&str, &str)]) -> Result<(String, Stats), String> {
    let mut out = Vec::new();
    remap(input.as_bytes(), &mut out, &mapping(pairs))
        .map(|stats| (String::from_utf8(out).expect("UTF-8"), stats))
        .map_err(|e| e.to_string())
}

const STREAM: &str = "--
-- PostgreSQL database dump
--

\\restrict abc123

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Data for Name: reading; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.reading (id, note) FROM stdin;
1\tCOPY public.reading (id) FROM stdin;
2\tSELECT setval('x', 1);
3\t\\\\.
4\t\\N
\\.


--
-- PostgreSQL database dump complete
--

\\unrestrict abc123

";

#[test]
fn retargets_the_copy_and_passes_everything_else_byte_for_byte() {
    let (out, stats) = run(
        STREAM,
        &[("public.reading", "restore_staging__public.reading")],
    )
    .expect("accepted");
    assert_eq!(
        out,
        STREAM.replace(
            "COPY public.reading (id, note) FROM stdin;",
            "COPY restore_staging__public.reading (id, note) FROM stdin;"
        )
    );
    let data =
        "1\tCOPY public.reading (id) FROM stdin;\n2\tSELECT setval('x', 1);\n3\t\\\\.\n4\t\\N\n";
    assert!(STREAM.contains(data));
    assert_eq!(
        stats,
        Stats {
            copies: 1,
            rows: 4,
            bytes: data.len() as u64
        }
    );
}

#[test]
fn matches_names_exactly_never_by_prefix() {
    let input = "COPY public.reading_archive (id) FROM stdin;\n1\n\\.\n";
    let err = run(input, &[("public.reading", "s.reading")]).unwrap_err();
    assert_eq!(
        err,
        "input line 1: refused: a COPY into a table that is not mapped to staging (not in the plan): COPY public.reading_archive (id) FROM stdin;"
    );
}

#[test]
fn matches_every_spelling_of_a_name() {
    let input = "COPY \"Weird Schema\".\"Order Items\" (\"Order ID\") FROM stdin;\n1\n\\.\nCOPY public.\"select\" (id) FROM stdin;\n\\.\n";
    let (out, stats) = run(
        input,
        &[
            (
                "\"Weird Schema\".\"Order Items\"",
                "\"restore_staging__Weird Schema\".\"Order Items\"",
            ),
            ("public.select", "restore_staging__public.\"select\""),
        ],
    )
    .expect("accepted");
    assert_eq!(
        out,
        "COPY \"restore_staging__Weird Schema\".\"Order Items\" (\"Order ID\") FROM stdin;\n1\n\\.\nCOPY restore_staging__public.\"select\" (id) FROM stdin;\n\\.\n"
    );
    assert_eq!(stats.copies, 2);
}

#[test]
fn refuses_statements_that_write() {
    let cases = [
        "SELECT pg_catalog.setval('public.reading_id_seq', 5000, true);\n",
        "INSERT INTO public.reading VALUES (1);\n",
        "ALTER TABLE public.reading DISABLE TRIGGER ALL;\n",
        "TRUNCATE public.reading;\n",
        "CREATE TABLE x (a int);\n",
        "DROP TABLE public.reading;\n",
        "COMMIT;\n",
        "SELECT pg_catalog.lo_create('1');\n",
    ];
    for input in cases {
        let err = run(input, &[("public.reading", "s.reading")]).unwrap_err();
        let statement = input.trim_end();
        assert_eq!(
            err,
            format!(
                "input line 1: refused: this statement would write outside the staging schema: {statement}"
            )
        );
    }
}

#[test]
fn refuses_copy_that_does_not_read_the_stream() {
    for input in [
        "COPY public.reading FROM PROGRAM 'rm -rf /';\n",
        "COPY public.reading TO stdout;\n",
        "COPY public.reading FROM '/etc/passwd';\n",
    ] {
        let err = run(input, &[("public.reading", "s.reading")]).unwrap_err();
        assert!(
            err.contains("refused: only `COPY ... FROM stdin` is allowed"),
            "{err}"
        );
    }
}

#[test]
fn refuses_other_meta_commands() {
    let err = run("\\connect other\n", &[]).unwrap_err();
    assert_eq!(
        err,
        "input line 1: refused: only the psql meta-commands \\restrict and \\unrestrict are allowed: \\connect other"
    );
}

#[test]
fn refuses_a_copy_cut_off_before_its_end() {
    let err = run(
        "COPY public.reading (id) FROM stdin;\n1\n2\n",
        &[("public.reading", "s.reading")],
    )
    .unwrap_err();
    assert_eq!(
        err,
        "input line 4: the COPY into public.reading ends before its `\\.` line: the dump is truncated or pg_restore stopped early"
    );
    let err = run(
        "COPY public.reading (id) FROM stdin;\n1\n2",
        &[("public.reading", "s.reading")],
    )
    .unwrap_err();
    assert!(err.contains("ends before its"), "{err}");
}

#[test]
fn refuses_a_statement_cut_off() {
    let err = run("SET search_path =\n", &[]).unwrap_err();
    assert_eq!(
        err,
        "input line 1: refused: the input ends inside this statement: SET search_path ="
    );
}

#[test]
fn statements_over_several_lines() {
    let input = "SET\n  statement_timeout = 0;\nCOPY public.reading\n (id) FROM stdin;\n1\n\\.\n";
    let (out, _) = run(input, &[("public.reading", "s.reading")]).expect("accepted");
    assert_eq!(
        out,
        "SET\n  statement_timeout = 0;\nCOPY s.reading\n (id) FROM stdin;\n1\n\\.\n"
    );
}

/// A reader that hands out one byte at a time: block boundaries fall everywhere.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn block_boundaries_anywhere_change_nothing() {
    let mut out = Vec::new();
    let stats = remap(
        Trickle(STREAM.as_bytes()),
        &mut out,
        &mapping(&[("public.reading", "s.reading")]),
    )
    .expect("accepted");
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        STREAM.replacen("COPY public.reading", "COPY s.reading", 1)
    );
    assert_eq!(stats.rows, 4);
}
