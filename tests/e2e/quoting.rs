//! restage writes every name and value it takes from the archive into SQL and shell scripts.
//! Seeded random strings, full of what breaks quoting, go through its quoting and come back,
//! read by PostgreSQL itself and by bash, exactly as they were.

use std::process::Command;

use restage::sql::QualifiedName;
use restage::sql::quote::{ident, literal, shell_word};

use super::*;

/// What breaks quoting: quotes of every kind, backslashes, `$` and backquotes, `;`, dots,
/// blanks and line breaks, upper case, keywords' letters, non-ASCII (also combining marks and
/// characters outside the Basic Multilingual Plane).
const ALPHABET: &[char] = &[
    'a', 'b', 'z', 'A', 'Z', '0', '9', '_', ' ', '\t', '\n', '\r', '"', '\'', '`', '\\', '$', ';',
    '.', ',', '(', ')', '-', '*', '/', '%', '=', '&', '|', '!', '#', '{', '}', '[', ']', 'é', 'ß',
    'Ω', '日', '\u{301}', '🙂', '\u{a0}',
];

/// Keywords and near-keywords that must be quoted, or must not.
const WORDS: &[&str] = &[
    "select", "SELECT", "table", "user", "order", "end", "x$1", "_t",
];

fn strings(random: &mut Seeded, count: usize, max_bytes: usize) -> Vec<String> {
    let mut out: Vec<String> = WORDS.iter().map(|w| (*w).to_owned()).collect();
    while out.len() < count {
        let len = 1 + random.below(16);
        let mut s = String::new();
        for _ in 0..len {
            let c = ALPHABET[random.below(ALPHABET.len())];
            if s.len() + c.len_utf8() > max_bytes {
                break;
            }
            s.push(c);
        }
        if !s.is_empty() {
            out.push(s);
        }
    }
    out
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Every string, as an identifier (a table name, in a schema whose name is another of them),
/// and as a literal: the server reads back exactly the bytes, compared with a copy it decodes
/// from hex itself.
#[test]
fn identifiers_and_literals_read_back_exactly() {
    let mut random = Seeded::from_env();
    let seed = random.0;
    let names = strings(&mut random, 400, 63);
    let cluster = Cluster::start();
    cluster.create_database("quoting");
    let mut script = String::from("\\set ON_ERROR_STOP on\n");
    for (i, name) in names.iter().enumerate() {
        let schema = &names[(i + 1) % names.len()];
        let qualified = QualifiedName::new(schema.clone(), name.clone());
        let decoded = |s: &str| format!("convert_from(decode('{}', 'hex'), 'UTF8')", hex(s));
        script.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema_q};\n\
             CREATE TABLE {table} ();\n\
             SELECT {i}, {value} = {expected}, EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = {expected_schema} AND c.relname = {expected}), to_regclass({table_literal}) IS NOT NULL;\n\
             DROP TABLE {table};\n",
            schema_q = ident(schema),
            table = qualified.quoted(),
            value = literal(name),
            expected = decoded(name),
            expected_schema = decoded(schema),
            table_literal = literal(&qualified.quoted()),
        ));
    }
    let path = std::env::temp_dir().join(format!("restage-quoting-{seed}.sql"));
    std::fs::write(&path, script).expect("script");
    let out = cluster.client(
        "psql",
        "quoting",
        &["-X", "-q", "-A", "-t", "-f", path.to_str().expect("UTF-8")],
    );
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "RESTAGE_FAULT_SEED={seed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), names.len(), "RESTAGE_FAULT_SEED={seed}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            *row,
            format!("{i}|t|t|t"),
            "{:?} (RESTAGE_FAULT_SEED={seed})",
            names[i]
        );
    }
}

/// Every string as a shell word: bash reads back exactly the string.
#[test]
fn shell_words_read_back_exactly() {
    let mut random = Seeded::from_env();
    let seed = random.0;
    let words = strings(&mut random, 400, 200);
    let script: String = std::iter::once("printf '%s\\0'".to_owned())
        .chain(words.iter().map(|w| shell_word(w)))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("bash")
        .args(["-c", &script])
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "RESTAGE_FAULT_SEED={seed}");
    let read: Vec<String> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .split_terminator('\0')
        .map(str::to_owned)
        .collect();
    assert_eq!(read, words, "RESTAGE_FAULT_SEED={seed}");
}

/// What restage writes as a qualified name, it reads back as the same name.
#[test]
fn qualified_names_parse_back() {
    let mut random = Seeded::from_env();
    let names = strings(&mut random, 400, 63);
    for pair in names.chunks(2) {
        let [schema, name] = pair else { continue };
        let qualified = QualifiedName::new(schema.clone(), name.clone());
        assert_eq!(
            QualifiedName::parse(&qualified.quoted()).as_ref(),
            Ok(&qualified),
            "{:?}",
            qualified.quoted()
        );
    }
}
