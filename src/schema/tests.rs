//! The schema SQL reader against the fixtures' real pg_restore output.

use super::*;

const KITCHEN: &str = include_str!("../../tests/fixtures/kitchen-pg15.schema.sql");

fn kitchen() -> SchemaSql {
    split("kitchen-pg15.schema.sql", KITCHEN).expect("splits")
}

#[test]
fn blocks_carry_exact_names_from_their_headers() {
    let schema = kitchen();
    let block = schema.block(232).expect("TOC entry 232");
    assert_eq!(
        (block.name.as_str(), block.desc.as_str()),
        ("Order Items", "TABLE")
    );
    assert_eq!(
        (block.schema.as_deref(), block.owner.as_deref()),
        (Some("Weird Schema"), Some("postgres"))
    );
    assert!(
        block
            .sql
            .starts_with("CREATE TABLE \"Weird Schema\".\"Order Items\" (")
    );
    assert!(
        block
            .sql
            .contains("ALTER TABLE \"Weird Schema\".\"Order Items\" OWNER TO postgres;")
    );
    assert!(!block.sql.contains("TOC entry"));
    let schema_block = schema.block(6).expect("TOC entry 6");
    assert_eq!(
        (schema_block.schema.as_deref(), schema_block.desc.as_str()),
        (None, "SCHEMA")
    );
}

#[test]
fn meta_commands_and_trailer_are_not_sql() {
    let schema = kitchen();
    let last = schema.block(3511).expect("matview data");
    assert_eq!(last.statements().len(), 1);
    assert!(!last.sql.contains("\\unrestrict"));
}

#[test]
fn reads_identity_ownership_and_attachments() {
    let schema = kitchen();
    assert_eq!(
        schema.block(216).and_then(Block::identity),
        Some(Identity {
            table: QualifiedName::new("app", "sensor"),
            column: "id".into(),
            sequence: QualifiedName::new("app", "sensor_id_seq"),
            increment: 1,
        })
    );
    assert_eq!(
        schema.block(3546).and_then(Block::ownership),
        Some(Ownership {
            sequence: QualifiedName::new("public", "reading_id_seq"),
            table: QualifiedName::new("public", "reading"),
            column: "id".into(),
        })
    );
    assert_eq!(
        schema.block(237).and_then(Block::sequence_increment),
        Some(5)
    );
    assert_eq!(
        schema.block(3287).and_then(Block::attachment),
        Some(Attachment {
            parent: QualifiedName::new("app", "measurement"),
            child: QualifiedName::new("app", "measurement_2025"),
            bound: "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')".into(),
        })
    );
    assert_eq!(
        schema
            .block(3289)
            .and_then(Block::attachment)
            .map(|a| a.bound),
        Some("DEFAULT".into())
    );
    assert_eq!(
        schema.block(3296).and_then(super::Block::nextval_default),
        Some((
            "id".into(),
            QualifiedName::new("public", "event_base_id_seq")
        ))
    );
}

#[test]
fn reads_inline_nextval_defaults() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pagila-pg15.schema.sql"
    ))
    .expect("fixture");
    let schema = split("pagila-pg15.schema.sql", &text).expect("splits");
    let payment = schema
        .blocks
        .values()
        .find(|b| b.name == "payment_p2022_01" && b.desc == Desc::Table)
        .expect("partition");
    assert_eq!(
        payment.inline_nextval_defaults(),
        [(
            "payment_id".to_owned(),
            QualifiedName::new("public", "payment_payment_id_seq")
        )]
    );
    let kitchen = kitchen();
    assert_eq!(
        kitchen.block(219).map(Block::inline_nextval_defaults),
        Some(vec![])
    );
}

/// Found by the `schema` fuzz target: a `)` inside the column list closed it early and the
/// `)` at its end took the depth below zero.
#[test]
fn inline_nextval_defaults_of_a_damaged_column_list() {
    let text = "--\n-- TOC entry 215 (class 1259 OID 16411)\n-- Name: customer; Type: TABLE; Schema: public; Owner: postgres\n--\n\n\
                CREATE TABLE public.customer (\n    customer_id integer DEFAULT nextval('public.customer_customer_id_seq'::regclass) NOT NULL,\n    store_id)integer NOT NULL\n);\n";
    let schema = split("damaged.sql", text).expect("splits");
    assert_eq!(
        schema.block(215).map(Block::inline_nextval_defaults),
        Some(vec![(
            "customer_id".to_owned(),
            QualifiedName::new("public", "customer_customer_id_seq")
        )])
    );
}

#[test]
fn a_routine_signature_closed_before_it_opens_is_none() {
    let text = "--\n-- TOC entry 7 (class 1255 OID 1)\n-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres\n--\n\n\
                CREATE FUNCTION public.f) RETURNS integer LANGUAGE sql AS 'SELECT 1';\n";
    let schema = split("damaged.sql", text).expect("splits");
    assert_eq!(schema.block(7).and_then(Block::routine_signature), None);
}

#[test]
fn takes_create_table_apart() {
    let schema = kitchen();
    let reading = schema
        .block(219)
        .and_then(Block::create_table)
        .expect("reading");
    assert_eq!(reading.name, Some(QualifiedName::new("public", "reading")));
    assert!(!reading.unlogged);
    assert_eq!(
        reading.columns,
        [
            ("id", "bigint"),
            ("sensor_id", "integer"),
            ("taken_at", "timestamp with time zone"),
            ("value", "double precision"),
            ("value_x2", "double precision"),
            ("note", "text"),
        ]
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
    );
    assert_eq!(
        reading.constraints,
        [(
            "reading_value_check".to_owned(),
            "CHECK ((value > ('-1000'::integer)::double precision))".to_owned()
        )]
    );
    assert_eq!(
        reading.options.as_deref(),
        Some("fillfactor='90', autovacuum_vacuum_scale_factor='0.01'")
    );
    let login = schema
        .block(231)
        .and_then(Block::create_table)
        .expect("event_login");
    assert_eq!(login.inherits, [QualifiedName::new("public", "event_base")]);
    assert!(schema.block(231).is_some_and(Block::inherits));
    let measurement = schema
        .block(225)
        .and_then(Block::create_table)
        .expect("measurement");
    assert_eq!(
        measurement.partition_by.as_deref(),
        Some("RANGE (taken_on)")
    );
    let scratch = schema
        .block(239)
        .and_then(Block::create_table)
        .expect("scratch");
    assert!(scratch.unlogged);
}

#[test]
fn statements_constraints_publications_and_routines() {
    let schema = kitchen();
    assert_eq!(
        schema
            .block(219)
            .map(Block::statement_texts)
            .expect("reading")
            .last()
            .map(String::as_str),
        Some("ALTER TABLE public.reading OWNER TO postgres;")
    );
    assert_eq!(
        schema.block(219).and_then(super::Block::table_owner),
        Some("postgres".to_owned())
    );
    assert_eq!(
        schema.block(3351).and_then(super::Block::added_constraint),
        Some((
            QualifiedName::new("public", "reading_annotation"),
            "reading_annotation_reading_id_fkey".to_owned()
        ))
    );
    assert_eq!(
        schema.block(3504).and_then(super::Block::publication),
        Some("readings_pub".to_owned())
    );
    assert_eq!(
        schema.block(241).and_then(super::Block::routine_signature),
        Some(("PROCEDURE", "app.noop(IN x integer)".to_owned()))
    );
    // SET lines pg_restore writes between entries are not part of any definition.
    assert!(
        schema
            .block(240)
            .map(Block::statement_texts)
            .expect("touch")
            .iter()
            .all(|s| !s.starts_with("SET"))
    );
}

#[test]
fn every_block_of_every_fixture_has_a_name_line() {
    for fixture in ["kitchen-pg15", "kitchen-pg17", "pagila-pg15"] {
        let path = format!(
            "{}/tests/fixtures/{fixture}.schema.sql",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("fixture");
        let schema = split(&path, &text).expect("splits");
        assert!(
            schema.blocks.values().all(|b| !b.desc.as_str().is_empty()),
            "{fixture}"
        );
    }
}

#[test]
fn rejects_sql_without_toc_headers() {
    let err = split("plain.sql", "CREATE TABLE t (a int);\n").unwrap_err();
    assert_eq!(err.line, 1);
    assert!(err.message.contains("no -- TOC entry N headers"));
}

#[test]
fn unique_keys_are_read_from_their_statements() {
    let block = |sql: &str| Block {
        id: 1,
        line: 1,
        name: String::new(),
        desc: Desc::Constraint,
        schema: None,
        owner: None,
        sql: sql.to_owned(),
        table_access_method: None,
    };
    assert!(
        block("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);")
            .makes_unique_key()
    );
    assert!(
        block("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_k UNIQUE (k);").makes_unique_key()
    );
    assert!(block("CREATE UNIQUE INDEX t_k ON public.t USING btree (k);").makes_unique_key());
    assert!(!block("CREATE INDEX t_k ON public.t USING btree (k);").makes_unique_key());
    // A check whose text mentions a key is not one.
    assert!(
        !block(
            "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_c CHECK ((note <> ' UNIQUE '::text));"
        )
        .makes_unique_key()
    );
}

#[test]
fn statement_openings() {
    assert!(opens_with(
        "CREATE VIEW public.v AS SELECT 1;",
        &["CREATE", "VIEW"]
    ));
    assert!(opens_with("create\n  view v", &["CREATE", "VIEW"]));
    assert!(!opens_with("CREATE VIEWS", &["CREATE", "VIEW"]));
    assert!(!opens_with(
        "CREATE MATERIALIZED VIEW m",
        &["CREATE", "VIEW"]
    ));
}

#[test]
fn each_table_knows_the_access_method_set_before_it() {
    let schema = split(
        "schema.sql",
        "SET default_table_access_method = heap;\n\n--\n-- TOC entry 1 (class 1259 OID 1)\n-- Name: a; Type: TABLE; Schema: public; Owner: o\n--\n\nCREATE TABLE public.a (x int);\n\nSET default_table_access_method = \"Heap 2\";\n\n--\n-- TOC entry 2 (class 1259 OID 2)\n-- Name: b; Type: TABLE; Schema: public; Owner: o\n--\n\nCREATE TABLE public.b (x int);\n\nSET default_table_access_method = heap; DROP TABLE x;\n\n--\n-- TOC entry 3 (class 1259 OID 3)\n-- Name: c; Type: TABLE; Schema: public; Owner: o\n--\n\nCREATE TABLE public.c (x int);\n",
    )
    .unwrap();
    let am = |id| schema.block(id).unwrap().table_access_method.clone();
    assert_eq!(am(1).as_deref(), Some("heap"));
    assert_eq!(am(2).as_deref(), Some("\"Heap 2\""));
    // Not one name: not taken, and the last one taken stays in effect.
    assert_eq!(am(3).as_deref(), Some("\"Heap 2\""));
}
