use super::*;

const HEADER: &str = ";
; Archive created at 2026-11-23 19:30:27 UTC
;     dbname: kitchen
;     TOC Entries: 126
;     Compression: gzip
;     Dump Version: 1.16-0
;     Format: CUSTOM
;     Integer: 4 bytes
;     Offset: 8 bytes
;     Dumped from database version: 18.6
;     Dumped by pg_dump version: 18.6
;
;
; Selected TOC Entries:
;
";

fn parse_str(text: &str) -> Toc {
    parse("test.list", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn one(line: &str, schemas: &[&str]) -> Entry {
    let mut text: String = schemas
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}; 2615 {} SCHEMA - {s} postgres\n", 9000 + i, 19000 + i))
        .collect();
    text.push_str(line);
    text.push('\n');
    parse_str(&text).entries.pop().expect("one entry")
}

fn names(e: &Entry) -> (Option<&str>, &str, Option<&str>) {
    let n = e
        .names()
        .unwrap_or_else(|| panic!("{} is ambiguous", e.raw));
    (n.schema, n.name, n.owner)
}

#[test]
fn reads_every_header_field() {
    let toc = parse_str(HEADER);
    assert_eq!(
        toc.header,
        Header {
            created_at: Some("2026-11-23 19:30:27 UTC".into()),
            dbname: Some("kitchen".into()),
            toc_entries: Some(126),
            compression: Some("gzip".into()),
            dump_version: Some("1.16-0".into()),
            format: Some("CUSTOM".into()),
            integer_bytes: Some(4),
            offset_bytes: Some(8),
            dumped_from: Some("18.6".into()),
            dumped_by: Some("18.6".into()),
        }
    );
    assert!(toc.entries.is_empty());
}

#[test]
fn compression_integer_and_name_forms() {
    let level = |printed: &str| Header {
        compression: Some(printed.into()),
        ..Header::default()
    };
    assert_eq!(level("-1").compression_algorithm(), Some("gzip"));
    assert_eq!(level("0").compression_algorithm(), Some("none"));
    assert_eq!(level("5").compression_algorithm(), Some("gzip"));
    assert_eq!(level("zstd").compression_algorithm(), Some("zstd"));
    let toc = parse_str(";     Compression: -1\n");
    assert_eq!(toc.header.compression.as_deref(), Some("-1"));
}

#[test]
fn a_listing_without_header_has_empty_header() {
    let toc = parse_str("217; 1259 16389 TABLE app customer postgres\n");
    assert_eq!(toc.header, Header::default());
    assert_eq!(toc.entries.len(), 1);
}

#[test]
fn a_bad_header_value_is_an_error_at_the_value() {
    let err = parse("h.list", b";\n;     TOC Entries: many\n").unwrap_err();
    assert_eq!((err.line, err.column, err.expected), (2, 20, "a number"));
    let err = parse("h.list", b";     Integer: 4 words\n").unwrap_err();
    assert_eq!(
        (err.line, err.column, err.expected),
        (1, 17, "\"<n> bytes\"")
    );
}

/// One line per desc family, as pg_restore 14–18 print them (pg_restore 15.18 verbatim where
/// the research notes have them), with the expected split.
#[test]
fn every_desc_family() {
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, Option<&'a str>);
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("2756; 0 0 ENCODING - ENCODING ", "ENCODING", None, "ENCODING", None),
        ("2757; 0 0 STDSTRINGS - STDSTRINGS ", "STDSTRINGS", None, "STDSTRINGS", None),
        ("2758; 0 0 SEARCHPATH - SEARCHPATH ", "SEARCHPATH", None, "SEARCHPATH", None),
        ("3426; 1262 16384 DATABASE - demo postgres", "DATABASE", None, "demo", Some("postgres")),
        ("3429; 0 0 DATABASE PROPERTIES - demo postgres", "DATABASE PROPERTIES", None, "demo", Some("postgres")),
        ("7; 2615 16387 SCHEMA - app app_owner", "SCHEMA", None, "app", Some("app_owner")),
        ("2; 3079 16470 EXTENSION - pg_trgm ", "EXTENSION", None, "pg_trgm", None),
        ("880; 1247 16983 TYPE app status postgres", "TYPE", Some("app"), "status", Some("postgres")),
        ("881; 1247 16984 SHELL TYPE app s postgres", "SHELL TYPE", Some("app"), "s", Some("postgres")),
        ("883; 1247 16990 DOMAIN app positive_int postgres", "DOMAIN", Some("app"), "positive_int", Some("postgres")),
        ("900; 2612 16500 PROCEDURAL LANGUAGE - plperl postgres", "PROCEDURAL LANGUAGE", None, "plperl", Some("postgres")),
        ("227; 1255 16432 FUNCTION app f(integer, text) postgres", "FUNCTION", Some("app"), "f(integer, text)", Some("postgres")),
        ("246; 1255 17182 PROCEDURE app noop(integer) postgres", "PROCEDURE", Some("app"), "noop(integer)", Some("postgres")),
        ("950; 1255 16600 AGGREGATE app agg(numeric) postgres", "AGGREGATE", Some("app"), "agg(numeric)", Some("postgres")),
        ("951; 2605 16601 CAST - CAST (text AS app.t) ", "CAST", None, "CAST (text AS app.t)", None),
        ("952; 3576 16602 TRANSFORM - TRANSFORM FOR app.t LANGUAGE sql ", "TRANSFORM", None, "TRANSFORM FOR app.t LANGUAGE sql", None),
        ("953; 2617 16603 OPERATOR app === postgres", "OPERATOR", Some("app"), "===", Some("postgres")),
        ("954; 2616 16604 OPERATOR CLASS app c USING btree postgres", "OPERATOR CLASS", Some("app"), "c USING btree", Some("postgres")),
        ("955; 2753 16605 OPERATOR FAMILY app f USING btree postgres", "OPERATOR FAMILY", Some("app"), "f USING btree", Some("postgres")),
        ("956; 2601 16606 ACCESS METHOD - myam ", "ACCESS METHOD", None, "myam", None),
        ("957; 3456 16607 COLLATION app german postgres", "COLLATION", Some("app"), "german", Some("postgres")),
        ("958; 2607 16608 CONVERSION app conv postgres", "CONVERSION", Some("app"), "conv", Some("postgres")),
        ("959; 3601 16609 TEXT SEARCH PARSER app p ", "TEXT SEARCH PARSER", Some("app"), "p", None),
        ("960; 3600 16610 TEXT SEARCH DICTIONARY app d postgres", "TEXT SEARCH DICTIONARY", Some("app"), "d", Some("postgres")),
        ("961; 3764 16611 TEXT SEARCH TEMPLATE app t ", "TEXT SEARCH TEMPLATE", Some("app"), "t", None),
        ("962; 3602 16612 TEXT SEARCH CONFIGURATION app c postgres", "TEXT SEARCH CONFIGURATION", Some("app"), "c", Some("postgres")),
        ("963; 2328 16613 FOREIGN DATA WRAPPER - fdw postgres", "FOREIGN DATA WRAPPER", None, "fdw", Some("postgres")),
        ("964; 1417 16614 SERVER - srv postgres", "SERVER", None, "srv", Some("postgres")),
        ("965; 0 0 USER MAPPING - USER MAPPING postgres SERVER srv postgres", "USER MAPPING", None, "USER MAPPING postgres SERVER srv", Some("postgres")),
        ("218; 1259 16397 SEQUENCE app orders_id_seq postgres", "SEQUENCE", Some("app"), "orders_id_seq", Some("postgres")),
        ("3521; 0 0 SEQUENCE OWNED BY app customer_id_seq postgres", "SEQUENCE OWNED BY", Some("app"), "customer_id_seq", Some("postgres")),
        ("3295; 2604 16392 DEFAULT app customer id postgres", "DEFAULT", Some("app"), "customer id", Some("postgres")),
        ("217; 1259 16389 TABLE app customer postgres", "TABLE", Some("app"), "customer", Some("postgres")),
        ("966; 1259 16615 VIEW app v postgres", "VIEW", Some("app"), "v", Some("postgres")),
        ("967; 1259 16616 MATERIALIZED VIEW app mv postgres", "MATERIALIZED VIEW", Some("app"), "mv", Some("postgres")),
        ("968; 1259 16617 FOREIGN TABLE app ft postgres", "FOREIGN TABLE", Some("app"), "ft", Some("postgres")),
        ("3294; 0 0 TABLE ATTACH app measurement_2024 postgres", "TABLE ATTACH", Some("app"), "measurement_2024", Some("postgres")),
        ("3470; 2613 16457 BLOB - 16457 postgres", "BLOB", None, "16457", Some("postgres")),
        ("3471; 2613 16457 BLOB METADATA - 16457..17456 postgres", "BLOB METADATA", None, "16457..17456", Some("postgres")),
        ("3472; 0 0 BLOBS - BLOBS ", "BLOBS", None, "BLOBS", None),
        ("3473; 0 0 BLOBS - 16457..17456 postgres", "BLOBS", None, "16457..17456", Some("postgres")),
        ("3462; 0 16389 TABLE DATA app customer postgres", "TABLE DATA", Some("app"), "customer", Some("postgres")),
        ("3463; 0 16397 SEQUENCE SET app orders_id_seq postgres", "SEQUENCE SET", Some("app"), "orders_id_seq", Some("postgres")),
        ("3464; 0 0 STATISTICS DATA app customer ", "STATISTICS DATA", Some("app"), "customer", None),
        ("3465; 1259 16400 INDEX app customer_name_idx postgres", "INDEX", Some("app"), "customer_name_idx", Some("postgres")),
        ("3300; 2606 16396 CONSTRAINT app customer customer_pkey postgres", "CONSTRAINT", Some("app"), "customer customer_pkey", Some("postgres")),
        ("3301; 2606 16397 CHECK CONSTRAINT app customer c_check postgres", "CHECK CONSTRAINT", Some("app"), "customer c_check", Some("postgres")),
        ("3308; 2606 16407 FK CONSTRAINT app orders orders_customer_id_fkey postgres", "FK CONSTRAINT", Some("app"), "orders orders_customer_id_fkey", Some("postgres")),
        ("3309; 2620 16434 TRIGGER app customer t1 postgres", "TRIGGER", Some("app"), "customer t1", Some("postgres")),
        ("3310; 3466 16435 EVENT TRIGGER - log_ddl postgres", "EVENT TRIGGER", None, "log_ddl", Some("postgres")),
        ("3311; 2618 16436 RULE app customer r postgres", "RULE", Some("app"), "customer r", Some("postgres")),
        ("3312; 3256 16437 POLICY app customer p postgres", "POLICY", Some("app"), "customer p", Some("postgres")),
        ("3313; 0 16389 ROW SECURITY app customer postgres", "ROW SECURITY", Some("app"), "customer", Some("postgres")),
        ("2129; 826 16441 DEFAULT ACL app DEFAULT PRIVILEGES FOR TABLES postgres", "DEFAULT ACL", Some("app"), "DEFAULT PRIVILEGES FOR TABLES", Some("postgres")),
        ("3467; 0 16428 MATERIALIZED VIEW DATA app mv postgres", "MATERIALIZED VIEW DATA", Some("app"), "mv", Some("postgres")),
        ("3306; 0 0 INDEX ATTACH app measurement_2024_logdate_idx postgres", "INDEX ATTACH", Some("app"), "measurement_2024_logdate_idx", Some("postgres")),
        ("3314; 6104 16440 PUBLICATION - pub postgres", "PUBLICATION", None, "pub", Some("postgres")),
        ("3315; 6106 16442 PUBLICATION TABLE app pub customer postgres", "PUBLICATION TABLE", Some("app"), "pub customer", Some("postgres")),
        ("3316; 6237 16443 PUBLICATION TABLES IN SCHEMA - pub app postgres", "PUBLICATION TABLES IN SCHEMA", None, "pub app", Some("postgres")),
        ("3317; 6100 16444 SUBSCRIPTION - sub postgres", "SUBSCRIPTION", None, "sub", Some("postgres")),
        ("3318; 6102 16445 SUBSCRIPTION TABLE - sub customer postgres", "SUBSCRIPTION TABLE", None, "sub customer", Some("postgres")),
        ("3319; 3381 16446 STATISTICS app customer_stats postgres", "STATISTICS", Some("app"), "customer_stats", Some("postgres")),
        ("3487; 0 0 COMMENT app FUNCTION f(a integer, b text) postgres", "COMMENT", Some("app"), "FUNCTION f(a integer, b text)", Some("postgres")),
        ("3526; 0 0 COMMENT - LARGE OBJECT 16457 postgres", "COMMENT", None, "LARGE OBJECT 16457", Some("postgres")),
        ("3520; 0 0 ACL app COLUMN customer.name postgres", "ACL", Some("app"), "COLUMN customer.name", Some("postgres")),
        ("3524; 0 0 ACL app TABLE orders postgres", "ACL", Some("app"), "TABLE orders", Some("postgres")),
        ("3525; 0 0 ACL - LARGE OBJECTS 16457..17456 postgres", "ACL", None, "LARGE OBJECTS 16457..17456", Some("postgres")),
        ("3527; 0 0 SECURITY LABEL app TABLE orders postgres", "SECURITY LABEL", Some("app"), "TABLE orders", Some("postgres")),
        ("3528; 0 0 BLOB COMMENTS - BLOB COMMENTS ", "BLOB COMMENTS", None, "BLOB COMMENTS", None),
        ("3529; 0 0 ACL LANGUAGE - plpgsql postgres", "ACL LANGUAGE", None, "plpgsql", Some("postgres")),
        ("3530; 0 0 <Init> - <Init> ", "<Init>", None, "<Init>", None),
        ("3531; 0 2613 pg_largeobject pg_catalog pg_largeobject postgres", "pg_largeobject", Some("pg_catalog"), "pg_largeobject", Some("postgres")),
        ("3532; 0 2995 pg_largeobject_metadata pg_catalog pg_largeobject_metadata postgres", "pg_largeobject_metadata", Some("pg_catalog"), "pg_largeobject_metadata", Some("postgres")),
    ];
    for &(line, desc, schema, name, owner) in cases {
        let e = one(line, &["app"]);
        assert_eq!(e.desc.as_str(), desc, "{line}");
        assert!(e.has_known_desc(), "{line}");
        assert_eq!(names(&e), (schema, name, owner), "{line}");
        assert_eq!(e.raw, line);
    }
}

#[test]
fn names_with_spaces_quotes_and_semicolons() {
    let s = &["Weird Schema", "app"];
    let e = one("237; 1259 17134 TABLE Weird Schema Order Items postgres", s);
    assert_eq!(
        names(&e),
        (Some("Weird Schema"), "Order Items", Some("postgres"))
    );
    let e = one(
        "238; 1259 17142 TABLE Weird Schema we\"ird table postgres",
        s,
    );
    assert_eq!(
        names(&e),
        (Some("Weird Schema"), "we\"ird table", Some("postgres"))
    );
    let e = one("3488; 0 0 COMMENT app TABLE \"My Table\" postgres", s);
    assert_eq!(
        names(&e),
        (Some("app"), "TABLE \"My Table\"", Some("postgres"))
    );
    let e = one("239; 1259 17150 TABLE app semi;colon; table postgres", s);
    assert_eq!(
        names(&e),
        (Some("app"), "semi;colon; table", Some("postgres"))
    );
    let e = one("240; 1259 17151 TABLE app a; 0 0 TABLE b postgres", s);
    assert_eq!(names(&e), (Some("app"), "a; 0 0 TABLE b", Some("postgres")));
}

#[test]
fn leading_and_trailing_spaces_in_names() {
    let e = one(
        "241; 1259 17152 TABLE app trailing space  postgres",
        &["app"],
    );
    assert_eq!(
        names(&e),
        (Some("app"), "trailing space ", Some("postgres"))
    );
    let e = one("242; 1259 17153 TABLE app   leading postgres", &["app"]);
    assert_eq!(names(&e), (Some("app"), "  leading", Some("postgres")));
    let e = one("243; 1259 17154 TABLE  sp  t postgres", &[" sp "]);
    assert_eq!(names(&e), (Some(" sp "), "t", Some("postgres")));
}

#[test]
fn a_table_named_table_data_in_a_schema_named_table_data() {
    let e = one(
        "244; 0 17155 TABLE DATA TABLE DATA TABLE DATA postgres",
        &["TABLE DATA"],
    );
    assert_eq!(e.desc, Desc::TableData);
    assert_eq!(
        names(&e),
        (Some("TABLE DATA"), "TABLE DATA", Some("postgres"))
    );
}

#[test]
fn non_ascii_names() {
    let e = one("903; 1247 16500 DOMAIN public bıgınt postgres", &[]);
    assert_eq!(names(&e), (Some("public"), "bıgınt", Some("postgres")));
    let e = one("904; 1259 16501 TABLE ünï cödé rôle", &["ünï"]);
    assert_eq!(names(&e), (Some("ünï"), "cödé", Some("rôle")));
}

#[test]
fn long_function_signatures() {
    let args = (0..1000)
        .map(|i| format!("a{i} integer"))
        .collect::<Vec<_>>()
        .join(", ");
    let line = format!("262; 1255 16600 FUNCTION public f({args}) postgres");
    let e = one(&line, &[]);
    assert_eq!(
        names(&e),
        (
            Some("public"),
            format!("f({args})").as_str(),
            Some("postgres")
        )
    );
    assert!(line.len() > 8192);
}

#[test]
fn depends_on_lines_attach_to_the_entry_above_with_duplicates() {
    let toc = parse_str(
        "222; 1259 16993 TABLE app sensor postgres\n;\tdepends on: 880 880 7\n221; 1259 16992 SEQUENCE app sensor_id_seq postgres\n",
    );
    assert_eq!(toc.entries[0].deps, [880, 880, 7]);
    assert!(toc.entries[1].deps.is_empty());
}

#[test]
fn a_depends_on_line_before_any_entry_is_an_error() {
    let err = parse("d.list", b";\n;\tdepends on: 7\n").unwrap_err();
    assert_eq!((err.line, err.column), (2, 1));
}

#[test]
fn disabled_entries_are_kept_and_marked() {
    let toc = parse_str(&format!(
        "{HEADER};3391; 0 17584 TABLE DATA public reading postgres\n;\tdepends on: 217\n3392; 0 17585 TABLE DATA public other postgres\n; just a note; 12 apples\n;  Selected: 1; 2\n"
    ));
    assert_eq!(toc.entries.len(), 2);
    let disabled = &toc.entries[0];
    assert!(disabled.disabled);
    assert_eq!((disabled.id, disabled.line), (3391, 16));
    assert_eq!(
        names(disabled),
        (Some("public"), "reading", Some("postgres"))
    );
    assert_eq!(disabled.deps, [217]);
    assert_eq!(
        disabled.raw,
        ";3391; 0 17584 TABLE DATA public reading postgres"
    );
    assert!(!toc.entries[1].disabled);
    assert_eq!(toc.header.dbname.as_deref(), Some("kitchen"));
}

#[test]
fn header_like_comments_after_entries_do_not_change_the_header() {
    let toc = parse_str(&format!(
        "{HEADER}1; 0 0 ENCODING - ENCODING \n;     dbname: other\n"
    ));
    assert_eq!(toc.header.dbname.as_deref(), Some("kitchen"));
}

#[test]
fn listings_with_and_without_verbose_deps() {
    let plain = parse_str(
        "217; 1259 16389 TABLE app customer postgres\n3462; 0 16389 TABLE DATA app customer postgres\n",
    );
    let verbose = parse_str(
        "217; 1259 16389 TABLE app customer postgres\n;\tdepends on: 7\n3462; 0 16389 TABLE DATA app customer postgres\n;\tdepends on: 217\n",
    );
    fn ids(t: &Toc) -> Vec<(u32, Option<Names<'_>>)> {
        t.entries.iter().map(|e| (e.id, e.names())).collect()
    }
    assert_eq!(ids(&plain), ids(&verbose));
    assert!(plain.entries.iter().all(|e| e.deps.is_empty()));
    assert_eq!(verbose.entries[1].deps, [217]);
}

#[test]
fn a_dump_made_with_dash_t_has_no_schema_entries() {
    let toc = parse_str(
        "237; 1259 17134 TABLE Weird Schema Order Items postgres\n3391; 0 17584 TABLE DATA sales orders postgres\n",
    );
    let spaced = &toc.entries[0];
    assert!(spaced.is_ambiguous());
    assert_eq!(spaced.names(), None);
    let readings: Vec<(Option<&str>, &str)> =
        spaced.candidates().map(|c| (c.schema, c.name)).collect();
    assert_eq!(
        readings,
        [
            (Some("Weird"), "Schema Order Items"),
            (Some("Weird Schema"), "Order Items"),
            (Some("Weird Schema Order"), "Items")
        ]
    );
    assert_eq!(
        names(&toc.entries[1]),
        (Some("sales"), "orders", Some("postgres"))
    );
    assert_eq!(
        toc.warnings,
        [Warning::Ambiguous {
            line: 1,
            id: 237,
            candidates: 3
        }]
    );
}

#[test]
fn two_known_schemas_that_both_fit_are_ambiguous() {
    let e = one("250; 1259 17160 TABLE app x y postgres", &["app", "app x"]);
    assert!(e.is_ambiguous());
    assert_eq!(e.candidates().len(), 2);
}

#[test]
fn unknown_desc_is_kept_and_reported() {
    let toc = parse_str("7; 2615 1 SCHEMA - app postgres\n12; 1 2 FROBNICATOR app f postgres\n");
    let e = &toc.entries[1];
    assert_eq!(e.desc, Desc::Unknown("FROBNICATOR".into()));
    assert!(!e.has_known_desc());
    assert_eq!(names(e), (Some("app"), "f", Some("postgres")));
    assert_eq!(
        toc.warnings,
        [Warning::UnknownDesc {
            line: 2,
            desc: "FROBNICATOR".into()
        }]
    );
}

#[test]
fn an_unknown_desc_with_spaces_ends_where_a_known_schema_begins() {
    let toc = parse_str(
        "7; 2615 1 SCHEMA - app postgres\n250; 9999 17200 PROPERTY GRAPH app g postgres\n",
    );
    let e = &toc.entries[1];
    assert_eq!(e.desc, Desc::Unknown("PROPERTY GRAPH".into()));
    assert_eq!(names(e), (Some("app"), "g", Some("postgres")));
    assert_eq!(
        toc.warnings,
        [Warning::UnknownDesc {
            line: 2,
            desc: "PROPERTY GRAPH".into()
        }]
    );
}

#[test]
fn invalid_utf8_is_replaced_and_reported() {
    let bytes = b"217; 1259 16389 TABLE public caf\xe9 postgres\n";
    let toc = parse("latin1.list", bytes).expect("lossy decoding never fails");
    assert_eq!(
        names(&toc.entries[0]),
        (Some("public"), "caf\u{fffd}", Some("postgres"))
    );
    assert_eq!(toc.warnings, [Warning::InvalidUtf8 { line: 1 }]);
}

#[test]
fn crlf_line_endings() {
    let toc = parse_str(
        "217; 1259 16389 TABLE public t postgres\r\n2; 3079 16470 EXTENSION - pg_trgm \r\n",
    );
    assert_eq!(
        names(&toc.entries[0]),
        (Some("public"), "t", Some("postgres"))
    );
    assert_eq!(names(&toc.entries[1]), (None, "pg_trgm", None));
}

#[test]
fn malformed_lines_report_line_and_column() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "34x; 1 2 TABLE public t postgres",
            3,
            "\"; \" after the dump id",
        ),
        (
            "TABLE public t postgres",
            1,
            "a dump id (a positive number)",
        ),
        (
            "34; 1 TABLE public t postgres",
            7,
            "the object OID (a number)",
        ),
        (
            "34;1 2 TABLE public t postgres",
            3,
            "\"; \" after the dump id",
        ),
        (
            "34; 1 2 TABLE public",
            15,
            "\"<schema> <name> <owner>\" after the object type",
        ),
        ("34; 1 2 ", 9, "an object type such as TABLE DATA"),
    ];
    for &(line, column, expected) in cases {
        let text = format!("{HEADER}{line}\n");
        let err = parse("bad.list", text.as_bytes()).unwrap_err();
        assert_eq!(
            (err.line, err.column, err.expected),
            (16, column, expected),
            "{line}"
        );
        assert_eq!(err.file, "bad.list");
    }
}

#[test]
fn columns_count_characters_not_bytes() {
    let err = parse("u.list", "ü34; 1 2 TABLE public t postgres\n".as_bytes()).unwrap_err();
    assert_eq!(err.column, 1);
    let err = parse("u.list", ";\tdepends on: 1 ü\n".as_bytes()).unwrap_err();
    assert_eq!((err.line, err.column), (1, 17));
}

/// What `restage toc` prints for `text`.
fn printed(text: &str, format: Format) -> String {
    let listing = Listing::new("test.list", text.as_bytes());
    let printout = Printout::new(&listing, format).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    printout.write(&mut out).expect("written");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn the_text_table_notes_what_is_unusual_about_an_entry() {
    let text = printed(
        ";34; 1259 16400 TABLE public t postgres\n;35; 0 0 WIDGET public w postgres\n",
        Format::Text,
    );
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with("LINE")).collect();
    assert!(rows[0].ends_with("  disabled"), "{text}");
    assert!(rows[1].ends_with("  disabled, unknown desc"), "{text}");
}

/// The JSON document as serde_json lays it out from the parsed `Toc`: the oracle for the JSON
/// `restage toc` writes entry by entry.
mod oracle {
    use serde::Serialize;

    use crate::toc::{Names, Toc};

    #[derive(Serialize)]
    struct Document<'a> {
        header: Header<'a>,
        entries: Vec<Entry<'a>>,
    }

    #[derive(Serialize)]
    struct Header<'a> {
        dbname: Option<&'a str>,
        toc_entries: Option<u32>,
        compression: Option<&'a str>,
        dump_version: Option<&'a str>,
        format: Option<&'a str>,
        dumped_from: Option<&'a str>,
        dumped_by: Option<&'a str>,
    }

    #[derive(Serialize)]
    struct Entry<'a> {
        id: u32,
        tableoid: u32,
        oid: u32,
        desc: &'a str,
        schema: Option<&'a str>,
        name: Option<&'a str>,
        owner: Option<&'a str>,
        deps: &'a [u32],
        disabled: bool,
        ambiguous: bool,
        candidates: Vec<Names<'a>>,
        line: usize,
    }

    pub(super) fn json(toc: &Toc) -> String {
        let h = &toc.header;
        let document = Document {
            header: Header {
                dbname: h.dbname.as_deref(),
                toc_entries: h.toc_entries,
                compression: h.compression.as_deref(),
                dump_version: h.dump_version.as_deref(),
                format: h.format.as_deref(),
                dumped_from: h.dumped_from.as_deref(),
                dumped_by: h.dumped_by.as_deref(),
            },
            entries: toc
                .entries
                .iter()
                .map(|e| Entry {
                    id: e.id,
                    tableoid: e.tableoid,
                    oid: e.oid,
                    desc: e.desc.as_str(),
                    schema: e.schema(),
                    name: e.name(),
                    owner: e.owner(),
                    deps: &e.deps,
                    disabled: e.disabled,
                    ambiguous: e.is_ambiguous(),
                    candidates: if e.is_ambiguous() {
                        e.candidates().collect()
                    } else {
                        Vec::new()
                    },
                    line: e.line,
                })
                .collect(),
        };
        serde_json::to_string_pretty(&document).expect("plain data serializes") + "\n"
    }
}

/// Every listing the tests hold: pg_restore's from PostgreSQL 14 to 18, and the odd ones.
fn every_listing() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for (dir, extensions) in [
        ("tests/fixtures", &["toc", "vtoc", "list"][..]),
        ("tests/listings/ok", &["list"][..]),
        ("tests/listings/err", &["list"][..]),
    ] {
        for entry in std::fs::read_dir(root.join(dir)).expect("fixture folder") {
            let path = entry.expect("entry").path();
            if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(found.len() > 20, "{found:?}");
    found
}

#[test]
fn the_json_written_entry_by_entry_is_what_serde_json_lays_out() {
    for path in every_listing() {
        let bytes = std::fs::read(&path).expect("listing");
        let Ok(toc) = parse("test.list", &bytes) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(
            printed(&text, Format::Json),
            oracle::json(&toc),
            "{}",
            path.display()
        );
    }
    assert_eq!(
        printed("", Format::Json),
        oracle::json(&parse_str("")),
        "an empty listing"
    );
}

#[test]
fn printing_reads_what_parsing_reads() {
    for path in every_listing() {
        let bytes = std::fs::read(&path).expect("listing");
        let listing = Listing::new("test.list", &bytes);
        match (
            parse("test.list", &bytes),
            Printout::new(&listing, Format::Text),
        ) {
            (Ok(toc), Ok(printout)) => {
                assert_eq!(printout.warnings(), toc.warnings, "{}", path.display());
            }
            (Err(parsed), Err(printed)) => {
                assert_eq!(
                    parsed.to_string(),
                    printed.to_string(),
                    "{}",
                    path.display()
                );
            }
            (parsed, printed) => panic!(
                "{}: parse {:?}, print {:?}",
                path.display(),
                parsed.err(),
                printed.err()
            ),
        }
    }
}
