//! A faithful synthetic database of many tables: the listing (`pg_restore -l -v`) and schema SQL
//! (`pg_restore --schema-only -v`) that PostgreSQL 15's pg_dump writes for a schema of tables
//! `bench.item_NNNNNN`, each like this one (the template was taken from a real dump):
//!
//! ```sql
//! CREATE TABLE bench.item_000001 (id bigserial PRIMARY KEY,
//!     prev_id bigint REFERENCES bench.item_000000 (id),
//!     body text NOT NULL, at timestamptz NOT NULL DEFAULT now());
//! CREATE INDEX item_000001_at ON bench.item_000001 (at);
//! COMMENT ON TABLE bench.item_000001 IS 'synthetic';
//! GRANT SELECT ON bench.item_000001 TO PUBLIC;
//! ```
//!
//! Eleven listing entries a table; the first table references `bench.root`. Entries come in
//! pg_dump's order: tables with their sequences, comments and grants, then defaults, data,
//! sequence values, keys, indexes and foreign keys.

use std::fmt::Write as _;

/// Entries a table has in the listing.
pub(crate) const ENTRIES_PER_TABLE: usize = 11;

/// What one kind of entry of a table looks like.
struct Kind {
    desc: &'static str,
    class: u32,
    /// The listing's `<schema> <name>` part, `{t}` standing for the table's name.
    tag: &'static str,
    /// The schema SQL's `-- Name:` value.
    name: &'static str,
    /// Its SQL, or none for data entries (not in `--schema-only` output).
    sql: Option<&'static str>,
}

const TABLE: usize = 0;
const SEQUENCE: usize = 3;
const KEY: usize = 8;

const KINDS: [Kind; ENTRIES_PER_TABLE] = [
    Kind {
        desc: "TABLE",
        class: 1259,
        tag: "bench {t}",
        name: "{t}",
        sql: Some(
            "CREATE TABLE bench.{t} (\n    id bigint NOT NULL,\n    prev_id bigint,\n    body text NOT NULL,\n    at timestamp with time zone DEFAULT now() NOT NULL\n);\n\n\nALTER TABLE bench.{t} OWNER TO postgres;",
        ),
    },
    Kind {
        desc: "COMMENT",
        class: 0,
        tag: "bench TABLE {t}",
        name: "TABLE {t}",
        sql: Some("COMMENT ON TABLE bench.{t} IS 'synthetic';"),
    },
    Kind {
        desc: "ACL",
        class: 0,
        tag: "bench TABLE {t}",
        name: "TABLE {t}",
        sql: Some("GRANT SELECT ON TABLE bench.{t} TO PUBLIC;"),
    },
    Kind {
        desc: "SEQUENCE",
        class: 1259,
        tag: "bench {t}_id_seq",
        name: "{t}_id_seq",
        sql: Some(
            "CREATE SEQUENCE bench.{t}_id_seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n\n\nALTER TABLE bench.{t}_id_seq OWNER TO postgres;",
        ),
    },
    Kind {
        desc: "SEQUENCE OWNED BY",
        class: 0,
        tag: "bench {t}_id_seq",
        name: "{t}_id_seq",
        sql: Some("ALTER SEQUENCE bench.{t}_id_seq OWNED BY bench.{t}.id;"),
    },
    Kind {
        desc: "DEFAULT",
        class: 2604,
        tag: "bench {t} id",
        name: "{t} id",
        sql: Some(
            "ALTER TABLE ONLY bench.{t} ALTER COLUMN id SET DEFAULT nextval('bench.{t}_id_seq'::regclass);",
        ),
    },
    Kind {
        desc: "TABLE DATA",
        class: 0,
        tag: "bench {t}",
        name: "{t}",
        sql: None,
    },
    Kind {
        desc: "SEQUENCE SET",
        class: 0,
        tag: "bench {t}_id_seq",
        name: "{t}_id_seq",
        sql: None,
    },
    Kind {
        desc: "CONSTRAINT",
        class: 2606,
        tag: "bench {t} {t}_pkey",
        name: "{t} {t}_pkey",
        sql: Some("ALTER TABLE ONLY bench.{t}\n    ADD CONSTRAINT {t}_pkey PRIMARY KEY (id);"),
    },
    Kind {
        desc: "INDEX",
        class: 1259,
        tag: "bench {t}_at",
        name: "{t}_at",
        sql: Some("CREATE INDEX {t}_at ON bench.{t} USING btree (at);"),
    },
    Kind {
        desc: "FK CONSTRAINT",
        class: 2606,
        tag: "bench {t} {t}_prev_id_fkey",
        name: "{t} {t}_prev_id_fkey",
        sql: Some(
            "ALTER TABLE ONLY bench.{t}\n    ADD CONSTRAINT {t}_prev_id_fkey FOREIGN KEY (prev_id) REFERENCES bench.{p}(id);",
        ),
    },
];

/// pg_dump's order: these kinds together, each group for every table before the next group.
const GROUPS: &[&[usize]] = &[&[0, 1, 2, 3, 4], &[5], &[6], &[7], &[8], &[9], &[10]];

const SCHEMA_ID: u32 = 6;
const ROOT_TABLE: u32 = 215;
const ROOT_KEY: u32 = 216;
const ROOT_DATA: u32 = 217;
const FIRST_ID: u32 = 1000;

pub(crate) struct Database {
    pub listing: Vec<u8>,
    pub schema: Vec<u8>,
}

/// The name of table `n`.
pub(crate) fn table(n: usize) -> String {
    format!("item_{n:06}")
}

fn id(n: usize, kind: usize) -> u32 {
    FIRST_ID + (n * ENTRIES_PER_TABLE + kind) as u32
}

fn deps(n: usize, kind: usize) -> Vec<u32> {
    let own = |k| id(n, k);
    match kind {
        TABLE => vec![SCHEMA_ID],
        SEQUENCE => vec![SCHEMA_ID, own(TABLE)],
        4 => vec![own(SEQUENCE)],
        5 => vec![own(SEQUENCE), own(TABLE), own(TABLE)],
        7 => vec![own(SEQUENCE)],
        10 if n == 0 => vec![ROOT_TABLE, ROOT_KEY, own(TABLE)],
        10 => vec![id(n - 1, TABLE), id(n - 1, KEY), own(TABLE)],
        _ => vec![own(TABLE)],
    }
}

/// The listing and schema SQL of a database of `tables` tables.
pub(crate) fn database(tables: usize) -> Database {
    let mut listing = String::new();
    let mut schema = String::from(SCHEMA_HEADER);
    let _ = write!(
        listing,
        ";\n; Archive created at 2026-11-23 22:16:17 UTC\n;     dbname: bench\n;     TOC Entries: {}\n;     Compression: -1\n;     Dump Version: 1.14-0\n;     Format: CUSTOM\n;     Integer: 4 bytes\n;     Offset: 8 bytes\n;     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)\n;     Dumped by pg_dump version: 15.18 (Debian 15.18-0+deb12u1)\n;\n;\n; Selected TOC Entries:\n;\n",
        tables * ENTRIES_PER_TABLE + 8
    );
    listing.push_str(LISTING_HEADER);
    let mut acls = String::new();
    for group in GROUPS {
        if group[0] == 8 {
            // The root's key comes first among the keys, as its name sorts first.
            let _ = writeln!(
                listing,
                "{ROOT_KEY}; 2606 18597 CONSTRAINT bench root root_pkey postgres\n;\tdepends on: {ROOT_TABLE}"
            );
            schema.push_str(ROOT_KEY_SQL);
        }
        if group[0] == 6 {
            let _ = writeln!(
                listing,
                "{ROOT_DATA}; 0 18593 TABLE DATA bench root postgres\n;\tdepends on: {ROOT_TABLE}"
            );
        }
        for n in 0..tables {
            let t = table(n);
            let p = if n == 0 {
                "root".to_owned()
            } else {
                table(n - 1)
            };
            for &k in *group {
                let kind = &KINDS[k];
                let entry = id(n, k);
                let oid = if kind.class == 0 && kind.sql.is_some() {
                    0
                } else {
                    20_000 + id(n, if kind.class == 0 { TABLE } else { k })
                };
                let deps = deps(n, k);
                let deps_text = deps
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" ");
                let _ = writeln!(
                    listing,
                    "{entry}; {} {oid} {} {} postgres\n;\tdepends on: {deps_text}",
                    kind.class,
                    kind.desc,
                    kind.tag.replace("{t}", &t)
                );
                let Some(sql) = kind.sql else { continue };
                let block = format!(
                    "--\n-- TOC entry {entry} (class {} OID {oid})\n-- Dependencies: {deps_text}\n-- Name: {}; Type: {}; Schema: bench; Owner: postgres\n-- Data Pos: 0\n--\n\n{}\n\n\n",
                    kind.class,
                    kind.name.replace("{t}", &t),
                    kind.desc,
                    sql.replace("{t}", &t).replace("{p}", &p)
                );
                // pg_restore writes grants after everything else.
                if kind.desc == "ACL" {
                    acls.push_str(&block);
                } else {
                    schema.push_str(&block);
                }
            }
        }
    }
    schema.push_str(&acls);
    schema.push_str(SCHEMA_FOOTER);
    Database {
        listing: listing.into_bytes(),
        schema: schema.into_bytes(),
    }
}

/// A plan restoring the first `tables` tables, reading `listing` and `schema` from its folder.
pub(crate) fn plan(tables: usize, listing: &str, schema: &str) -> String {
    let mut plan = format!(
        "restage: 1\nname: bench\nsource:\n  listing: {listing}\n  schema: {schema}\n  dump: /backups/bench.dump\nstaging:\n  unlogged: true\ntables:\n"
    );
    for n in 0..tables {
        let _ = writeln!(plan, "  - bench.{}", table(n));
    }
    plan
}

const LISTING_HEADER: &str = "3368; 0 0 ENCODING - ENCODING 
3369; 0 0 STDSTRINGS - STDSTRINGS 
3370; 0 0 SEARCHPATH - SEARCHPATH 
3371; 1262 18591 DATABASE - bench postgres
6; 2615 18592 SCHEMA - bench postgres
215; 1259 18593 TABLE bench root postgres
;\tdepends on: 6
";

const SCHEMA_HEADER: &str = "--
-- PostgreSQL database dump
--

\\restrict 2pTfpgtZYR9m1iO6Xc7GcR32Un2OC8prTF4wt2NQAdOpnJx9vCdItMNzYpxHvwV

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

-- Started on 2026-11-23 22:16:17 UTC

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- TOC entry 6 (class 2615 OID 18592)
-- Name: bench; Type: SCHEMA; Schema: -; Owner: postgres
-- Data Pos: 0
--

CREATE SCHEMA bench;


ALTER SCHEMA bench OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- TOC entry 215 (class 1259 OID 18593)
-- Dependencies: 6
-- Name: root; Type: TABLE; Schema: bench; Owner: postgres
-- Data Pos: 0
--

CREATE TABLE bench.root (
    id bigint NOT NULL
);


ALTER TABLE bench.root OWNER TO postgres;

";

const ROOT_KEY_SQL: &str = "--
-- TOC entry 216 (class 2606 OID 18597)
-- Dependencies: 215
-- Name: root root_pkey; Type: CONSTRAINT; Schema: bench; Owner: postgres
-- Data Pos: 0
--

ALTER TABLE ONLY bench.root
    ADD CONSTRAINT root_pkey PRIMARY KEY (id);


";

const SCHEMA_FOOTER: &str = "-- Completed on 2026-11-23 22:16:17 UTC

--
-- PostgreSQL database dump complete
--

\\unrestrict 2pTfpgtZYR9m1iO6Xc7GcR32Un2OC8prTF4wt2NQAdOpnJx9vCdItMNzYpxHvwV

";
