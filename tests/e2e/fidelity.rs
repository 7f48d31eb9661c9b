//! One kind of attachment at a time: a small production database with a table and what hangs
//! off it, the whole cycle both ways, and the catalog asked directly that the new table has it.
//! Each case also holds the oracle: `pg_dump --schema-only` identical after either way out.

use super::*;

/// Runs `setup` in a fresh database, restores `tables` through the whole cycle, and checks:
/// after cutover and after-cutover, `swapped` (a plan table) is a new relation and every
/// `(query, expected output)` holds; after cleanup, and after a rollback and cleanup on a copy,
/// the schema is what it was.
fn carries(setup: &str, tables: &str, swapped: &str, checks: &[(&str, &str)]) {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query("shop", setup);
    let archive = Archive::make(&cluster, "shop");
    cluster.query("postgres", "CREATE DATABASE shop_back TEMPLATE shop");
    let before = State::of(&cluster, "shop");
    let oid = |db: &str| cluster.query(db, &format!("SELECT '{swapped}'::regclass::oid"));
    let old_oid = oid("shop");

    let run = archive.compile(&cluster, "shop", "kind", tables, "");
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok_as_reviewed(&["50-cutover.sh", "55-after-cutover.sql"]);
    assert_ne!(oid("shop"), old_oid, "{swapped} was not swapped");
    for (query, expected) in checks {
        assert_eq!(cluster.query("shop", query), *expected, "{query}");
    }
    run.ok_as_reviewed(&["70-cleanup.sh"]);
    assert_schema_eq(
        &State::of(&cluster, "shop").schema,
        &before.schema,
        "cutover and cleanup",
    );

    let back = run.on("shop_back");
    back.ok_as_reviewed(UP_TO_VERIFY);
    back.ok_as_reviewed(&["50-cutover.sh", "60-rollback.sh"]);
    assert_eq!(
        oid("shop_back"),
        cluster.query("shop_back", &format!("SELECT '{swapped}'::regclass::oid"))
    );
    back.ok_as_reviewed(&["70-cleanup.sh"]);
    let restored = State::of(&cluster, "shop_back");
    assert_schema_eq(&restored.schema, &before.schema, "rollback and cleanup");
    assert_eq!(
        restored.tables, before.tables,
        "rollback keeps production's rows"
    );
}

#[test]
fn keys_and_indexes() {
    carries(
        "CREATE EXTENSION IF NOT EXISTS btree_gist;
         CREATE TABLE public.booking (
             id int PRIMARY KEY, room int NOT NULL, code text UNIQUE, during tstzrange NOT NULL,
             price numeric CONSTRAINT booking_price_positive CHECK (price > 0),
             EXCLUDE USING gist (room WITH =, during WITH &&));
         CREATE INDEX booking_lower_code ON public.booking (lower(code)) WHERE code IS NOT NULL;
         CREATE INDEX booking_brin ON public.booking USING brin (id);
         CREATE UNIQUE INDEX booking_room_id ON public.booking (room, id) INCLUDE (price);
         INSERT INTO public.booking SELECT g, g % 7, 'c' || g, tstzrange(now() + g * interval '1 day', now() + (g + 1) * interval '1 day'), g FROM generate_series(1, 200) g;",
        "  - public.booking\n",
        "public.booking",
        &[(
            "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'public.booking'::regclass",
            "booking_brin,booking_code_key,booking_lower_code,booking_pkey,booking_room_during_excl,booking_room_id\n",
        )],
    );
}

#[test]
fn foreign_keys_both_ways() {
    carries(
        "CREATE TABLE public.customer (id int PRIMARY KEY, name text);
         CREATE TABLE public.invoice (id int PRIMARY KEY, customer_id int REFERENCES public.customer(id) ON DELETE CASCADE);
         CREATE TABLE public.line (invoice_id int REFERENCES public.invoice(id), n int, PRIMARY KEY (invoice_id, n));
         INSERT INTO public.customer SELECT g, 'c' || g FROM generate_series(1, 20) g;
         INSERT INTO public.invoice SELECT g, 1 + g % 20 FROM generate_series(1, 100) g;
         INSERT INTO public.line SELECT 1 + g % 100, g FROM generate_series(1, 300) g;",
        "  - public.invoice\n",
        "public.invoice",
        &[
            // Outbound to a table outside the plan, inbound from one: both point at the new table
            // and are valid again after 55-after-cutover.sql.
            ("SELECT conname, confrelid::regclass, convalidated FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1", "invoice_customer_id_fkey|customer|t\nline_invoice_id_fkey|invoice|t\n"),
            ("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'public.invoice'::regclass", "1\n"),
        ],
    );
}

#[test]
fn grants_owner_row_security_and_policies() {
    carries(
        "CREATE ROLE auditor; CREATE ROLE clerk; CREATE ROLE \"Data Owner\";
         CREATE TABLE public.ledger (id int PRIMARY KEY, owner_name text, amount numeric);
         ALTER TABLE public.ledger OWNER TO \"Data Owner\";
         GRANT SELECT ON public.ledger TO auditor;
         GRANT INSERT, UPDATE (amount) ON public.ledger TO clerk;
         GRANT SELECT ON public.ledger TO clerk WITH GRANT OPTION;
         ALTER TABLE public.ledger ENABLE ROW LEVEL SECURITY;
         ALTER TABLE public.ledger FORCE ROW LEVEL SECURITY;
         CREATE POLICY mine ON public.ledger FOR SELECT TO clerk USING (owner_name = current_user);
         CREATE POLICY audit ON public.ledger AS RESTRICTIVE USING (true) WITH CHECK (amount < 1000);
         INSERT INTO public.ledger SELECT g, 'clerk', g FROM generate_series(1, 50) g;",
        "  - public.ledger\n",
        "public.ledger",
        &[
            ("SELECT relowner::regrole, relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'public.ledger'::regclass", "\"Data Owner\"|t|t\n"),
            ("SELECT string_agg(polname, ',' ORDER BY polname) FROM pg_policy WHERE polrelid = 'public.ledger'::regclass", "audit,mine\n"),
            ("SELECT has_table_privilege('auditor', 'public.ledger', 'SELECT'), has_column_privilege('clerk', 'public.ledger', 'amount', 'UPDATE')", "t|t\n"),
        ],
    );
}

#[test]
fn triggers_rules_comments_storage_and_replica_identity() {
    carries(
        "CREATE TABLE public.note (id int PRIMARY KEY, body text, touched timestamptz) WITH (fillfactor = 70, autovacuum_enabled = false);
         ALTER TABLE public.note ALTER COLUMN body SET STORAGE EXTERNAL, ALTER COLUMN body SET STATISTICS 500;
         CREATE UNIQUE INDEX note_body_key ON public.note (body);
         ALTER TABLE public.note ALTER COLUMN body SET NOT NULL;
         ALTER TABLE public.note REPLICA IDENTITY USING INDEX note_body_key;
         COMMENT ON TABLE public.note IS 'notes';
         COMMENT ON COLUMN public.note.body IS 'the text';
         COMMENT ON INDEX public.note_body_key IS 'one body once';
         COMMENT ON CONSTRAINT note_pkey ON public.note IS 'the key';
         CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := now(); RETURN NEW; END $$;
         CREATE TRIGGER note_touch BEFORE UPDATE ON public.note FOR EACH ROW EXECUTE FUNCTION public.touch();
         CREATE RULE note_keep AS ON DELETE TO public.note DO INSTEAD NOTHING;
         CREATE STATISTICS public.note_stats (ndistinct) ON id, body FROM public.note;
         INSERT INTO public.note SELECT g, 'n' || g, NULL FROM generate_series(1, 100) g;",
        "  - public.note\n",
        "public.note",
        &[
            ("SELECT reloptions, relreplident FROM pg_class WHERE oid = 'public.note'::regclass", "{fillfactor=70,autovacuum_enabled=false}|i\n"),
            ("SELECT obj_description('public.note'::regclass), col_description('public.note'::regclass, 2), obj_description('public.note_body_key'::regclass)", "notes|the text|one body once\n"),
            ("SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.note'::regclass AND NOT tgisinternal", "note_touch\n"),
            ("SELECT rulename FROM pg_rules WHERE schemaname = 'public' AND tablename = 'note'", "note_keep\n"),
            ("SELECT stxrelid::regclass FROM pg_statistic_ext WHERE stxname = 'note_stats' AND stxnamespace = 'public'::regnamespace", "note\n"),
            // The trigger was created after the load: restored rows were not touched.
            ("SELECT count(*) FROM public.note WHERE touched IS NOT NULL", "0\n"),
        ],
    );
}

#[test]
fn views_materialized_views_functions_and_publications() {
    carries(
        "CREATE TABLE public.sale (id int PRIMARY KEY, amount numeric);
         CREATE VIEW public.big_sale AS SELECT * FROM public.sale WHERE amount > 10 WITH CHECK OPTION;
         CREATE VIEW public.sale_total AS SELECT sum(amount) AS total FROM public.big_sale;
         CREATE ROLE reporter;
         GRANT SELECT ON public.big_sale TO reporter;
         CREATE MATERIALIZED VIEW public.sale_by_amount AS SELECT amount, count(*) AS n FROM public.sale GROUP BY amount;
         CREATE UNIQUE INDEX sale_by_amount_key ON public.sale_by_amount (amount);
         GRANT SELECT ON public.sale_by_amount TO reporter;
         COMMENT ON MATERIALIZED VIEW public.sale_by_amount IS 'by amount';
         CREATE FUNCTION public.big_sales() RETURNS SETOF public.sale LANGUAGE sql STABLE AS $$ SELECT * FROM public.sale WHERE amount > 10 $$;
         CREATE FUNCTION public.sale_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM public.sale; END;
         GRANT EXECUTE ON FUNCTION public.big_sales() TO reporter;
         DO $$ BEGIN
             -- Row filters came with PostgreSQL 15.
             IF current_setting('server_version_num')::int >= 150000 THEN
                 EXECUTE 'CREATE PUBLICATION sales FOR TABLE public.sale WHERE (amount > 0)';
             ELSE
                 EXECUTE 'CREATE PUBLICATION sales FOR TABLE public.sale';
             END IF;
         END $$;
         INSERT INTO public.sale SELECT g, g FROM generate_series(1, 30) g;
         REFRESH MATERIALIZED VIEW public.sale_by_amount;",
        "  - public.sale\n",
        "public.sale",
        &[
            ("SELECT count(*) FROM public.big_sale", "20\n"),
            ("SELECT total FROM public.sale_total", "410\n"),
            ("SELECT sum(n) FROM public.sale_by_amount", "30\n"),
            ("SELECT count(*) FROM public.big_sales()", "20\n"),
            ("SELECT public.sale_count()", "30\n"),
            ("SELECT prrelid::regclass FROM pg_publication_rel", "sale\n"),
            ("SELECT has_table_privilege('reporter', 'public.big_sale', 'SELECT'), has_function_privilege('reporter', 'public.big_sales()', 'EXECUTE')", "t|t\n"),
        ],
    );
}

#[test]
fn range_and_list_partitions() {
    carries(
        "CREATE TABLE public.event (id bigint GENERATED BY DEFAULT AS IDENTITY, at date NOT NULL, kind text NOT NULL, PRIMARY KEY (id, at, kind)) PARTITION BY RANGE (at);
         CREATE TABLE public.event_2025 PARTITION OF public.event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (kind);
         CREATE TABLE public.event_2025_login PARTITION OF public.event_2025 FOR VALUES IN ('login', 'logout');
         CREATE TABLE public.event_2025_other PARTITION OF public.event_2025 DEFAULT;
         CREATE TABLE public.event_rest PARTITION OF public.event DEFAULT;
         CREATE INDEX event_kind ON public.event (kind);
         INSERT INTO public.event (at, kind) SELECT date '2025-01-01' + (g % 500), (ARRAY['login', 'logout', 'buy'])[1 + g % 3] FROM generate_series(1, 900) g;",
        "  - public.event\n",
        "public.event_2025_login",
        &[
            ("SELECT count(*) FROM public.event", "900\n"),
            ("SELECT string_agg(inhrelid::regclass::text, ',' ORDER BY inhrelid::regclass::text) FROM pg_inherits WHERE inhparent = 'public.event_2025'::regclass", "event_2025_login,event_2025_other\n"),
            // The replaced partitions keep theirs in the retired schema, for a rollback.
            ("SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE k.conname = 'restage_partition_bound' AND n.nspname NOT LIKE 'restore\\_%'", "0\n"),
            ("INSERT INTO public.event (at, kind) VALUES ('2025-03-01', 'login') RETURNING id > 900", "t\n"),
        ],
    );
}

#[test]
fn inheritance_parent_and_child() {
    carries(
        "CREATE TABLE public.animal (id serial PRIMARY KEY, name text NOT NULL, CONSTRAINT animal_named CHECK (name <> ''));
         CREATE TABLE public.dog (bark text) INHERITS (public.animal);
         CREATE TABLE public.cat (lives int DEFAULT 9) INHERITS (public.animal);
         INSERT INTO public.animal (name) SELECT 'a' || g FROM generate_series(1, 10) g;
         INSERT INTO public.dog (name, bark) VALUES ('rex', 'woof');
         INSERT INTO public.cat (name) VALUES ('tom');",
        "  - public.animal\n",
        "public.animal",
        &[
            ("SELECT count(*) FROM public.animal", "12\n"),
            ("SELECT count(*) FROM ONLY public.animal", "10\n"),
            ("SELECT string_agg(inhrelid::regclass::text, ',' ORDER BY 1) FROM pg_inherits WHERE inhparent = 'public.animal'::regclass", "cat,dog\n"),
        ],
    );
}

/// Production changed since the dump: the preflight stops, names each object and shows both
/// definitions, and nothing is created.
#[test]
fn drift_stops_the_preflight() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE ROLE auditor;
         CREATE TABLE public.item (id int PRIMARY KEY, name text, price numeric CHECK (price > 0));
         CREATE INDEX item_name ON public.item (name);
         CREATE TABLE public.item_tag (item_id int REFERENCES public.item(id), tag text);
         INSERT INTO public.item VALUES (1, 'a', 1);",
    );
    let archive = Archive::make(&cluster, "shop");
    cluster.query(
        "shop",
        "CREATE INDEX item_price ON public.item (price);
         DROP INDEX public.item_name; CREATE INDEX item_name ON public.item (lower(name));
         ALTER TABLE public.item ADD COLUMN stock int;
         GRANT SELECT ON public.item TO auditor;
         ALTER TABLE public.item_tag DROP CONSTRAINT item_tag_item_id_fkey;
         ALTER TABLE public.item_tag ADD CONSTRAINT item_tag_item_id_fkey FOREIGN KEY (item_id) REFERENCES public.item(id) ON DELETE CASCADE;",
    );
    let run = archive.compile(&cluster, "shop", "drift", "  - public.item\n", "");
    let stderr = run.fails("00-preflight.sql", &[]);
    assert_says(
        &stderr,
        &[
            "index item_price of public.item is in production but not in the dump (the swap would lose it): CREATE INDEX item_price ON public.item USING btree (price)",
            "index item_name of public.item differs:\n      in the dump:       CREATE INDEX item_name ON public.item USING btree (name)\n      in production: CREATE INDEX item_name ON public.item USING btree (lower(name))",
            "column stock of public.item is in production but not in the dump (the swap would lose it): integer",
            "grant auditor SELECT of public.item is in production but not in the dump (the swap would lose it): GRANT SELECT ON TABLE public.item TO auditor",
            "constraint item_tag_item_id_fkey of public.item_tag differs:\n      in the dump:       FOREIGN KEY (item_id) REFERENCES public.item(id)\n      in production: FOREIGN KEY (item_id) REFERENCES public.item(id) ON DELETE CASCADE",
        ],
    );
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'restore\\_%'"
        ),
        "0\n"
    );
}

/// A restored table that inherits from one that is not restored: the new child takes the old
/// one's place under the parent.
#[test]
fn inheritance_child_alone() {
    carries(
        "CREATE TABLE public.animal (id serial PRIMARY KEY, name text NOT NULL, CONSTRAINT animal_named CHECK (name <> ''));
         CREATE TABLE public.dog (bark text) INHERITS (public.animal);
         INSERT INTO public.animal (name) VALUES ('generic');
         INSERT INTO public.dog (name, bark) SELECT 'rex' || g, 'woof' FROM generate_series(1, 10) g;",
        "  - public.dog\n",
        "public.dog",
        &[
            ("SELECT count(*) FROM public.animal", "11\n"),
            ("SELECT inhparent::regclass FROM pg_inherits WHERE inhrelid = 'public.dog'::regclass", "animal\n"),
        ],
    );
}

/// The bound CHECK built on each staged partition lets ATTACH PARTITION prove the bound instead
/// of reading the table, for range, list and default partitions.
#[test]
fn attaching_a_partition_scans_nothing() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE TABLE public.reading (at date NOT NULL, v int) PARTITION BY RANGE (at);
         CREATE TABLE public.reading_2025 PARTITION OF public.reading FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE public.reading_2026 PARTITION OF public.reading FOR VALUES FROM ('2026-01-01') TO (MAXVALUE);
         CREATE TABLE public.reading_old PARTITION OF public.reading DEFAULT;
         CREATE TABLE public.tag (k text, v int) PARTITION BY LIST (k);
         CREATE TABLE public.tag_ab PARTITION OF public.tag FOR VALUES IN ('a', 'b');
         CREATE TABLE public.tag_null PARTITION OF public.tag FOR VALUES IN (NULL, 'c');
         CREATE TABLE public.tag_rest PARTITION OF public.tag DEFAULT;
         INSERT INTO public.reading SELECT date '2024-06-01' + g, g FROM generate_series(1, 900) g;
         INSERT INTO public.tag SELECT (ARRAY['a', 'b', 'c', 'd', NULL])[1 + g % 5], g FROM generate_series(1, 100) g;",
    );
    let archive = Archive::make(&cluster, "shop");
    let run = archive.compile(
        &cluster,
        "shop",
        "attach",
        "  - public.reading\n  - public.tag\n",
        "",
    );
    run.ok(UP_TO_VERIFY);
    let mut cutover = cluster.command(cluster.bindir().join("psql"), "shop");
    cutover
        .env("PGOPTIONS", "-c client_min_messages=debug1")
        .args(["-X", "-f"])
        .arg(run.out.join("50-cutover.sql"))
        .current_dir(&run.out);
    let output = cutover.output().expect("cutover runs");
    let messages = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{messages}");
    for partition in [
        "reading_2025",
        "reading_2026",
        "reading_old",
        "tag_ab",
        "tag_null",
        "tag_rest",
    ] {
        let proven = format!(
            "partition constraint for table \"{partition}\" is implied by existing constraints"
        );
        assert!(
            messages.contains(&proven),
            "ATTACH scanned {partition}:\n{messages}"
        );
    }
}

/// A parent and its child, both restored: the child's staging copy is created as a child of the
/// parent's staging copy, and another child left in production moves to the new parent.
#[test]
fn inheritance_both_restored() {
    carries(
        "CREATE TABLE public.animal (id serial PRIMARY KEY, name text NOT NULL, CONSTRAINT animal_named CHECK (name <> ''));
         CREATE TABLE public.dog (bark text) INHERITS (public.animal);
         CREATE TABLE public.cat (lives int DEFAULT 9) INHERITS (public.animal);
         INSERT INTO public.animal (name) VALUES ('generic');
         INSERT INTO public.dog (name, bark) SELECT 'rex' || g, 'woof' FROM generate_series(1, 10) g;
         INSERT INTO public.cat (name) VALUES ('tom');",
        "  - public.dog\n  - public.animal\n",
        "public.dog",
        &[
            ("SELECT count(*) FROM public.animal", "12\n"),
            ("SELECT inhparent::regclass FROM pg_inherits WHERE inhrelid = 'public.dog'::regclass", "animal\n"),
            ("SELECT inhparent = 'public.animal'::regclass FROM pg_inherits WHERE inhrelid = 'public.cat'::regclass", "t\n"),
        ],
    );
}

/// Names that break naive quoting everywhere a name goes (SQL, the shell of 20-load.sh, file
/// names, YAML, the listing's space-separated fields): spaces at both ends, double and single
/// quotes, dots, `;`, `$` and backquotes, upper case, non-ASCII and keywords, in a schema, a
/// table, its columns, index, constraints, a role and a child table with a foreign key to it.
/// Rows hold tabs, newlines, backslashes and a COPY terminator.
#[test]
fn hostile_names() {
    let table = r#"" sp ace.""q"" 'x';"."  Tåble. ""select"" ; $x `y` ""#;
    carries(
        &format!(
            r#"CREATE ROLE "Röle ""x"" ;drop";
             CREATE SCHEMA " sp ace.""q"" 'x';";
             CREATE TABLE {table} (
                 "Id" int PRIMARY KEY,
                 " col ""a"" 'b' ;" text NOT NULL,
                 "select" int CONSTRAINT "chk ""c"" 'd' ;" CHECK ("select" > 0),
                 "ünï" text DEFAULT 'it''s'
             );
             CREATE INDEX "idx. ""q"" ;" ON {table} ("select", " col ""a"" 'b' ;");
             ALTER TABLE {table} ADD CONSTRAINT "uq ""u"" ;" UNIQUE ("ünï");
             COMMENT ON TABLE {table} IS 'it''s "hostile"; \ back';
             COMMENT ON COLUMN {table}." col ""a"" 'b' ;" IS 'a column';
             GRANT SELECT, UPDATE (" col ""a"" 'b' ;") ON {table} TO "Röle ""x"" ;drop";
             CREATE TABLE public."Child ""of"" it" (id int PRIMARY KEY, ref int REFERENCES {table} ("Id"));
             INSERT INTO {table} VALUES (1, E'tab\there', 1, 'é'), (2, E'new\nline', 2, E'back\\slash'),
                 (3, '"', 3, ''''), (4, 'COPY public.x FROM stdin;', 4, E'\\.');
             INSERT INTO public."Child ""of"" it" VALUES (1, 1), (2, 2);"#
        ),
        &format!("  - '{}'\n", table.replace('\'', "''")),
        &table.replace('\'', "''"),
        &[
            (
                &format!(
                    r#"SELECT string_agg(" col ""a"" 'b' ;", '|' ORDER BY "Id") FROM {table}"#
                ),
                "tab\there|new\nline|\"|COPY public.x FROM stdin;\n",
            ),
            (
                &format!(r#"SELECT string_agg("ünï", '|' ORDER BY "Id") FROM {table}"#),
                "é|back\\slash|'|\\.\n",
            ),
            (
                r#"SELECT count(*) FROM public."Child ""of"" it" c JOIN pg_constraint k ON k.conrelid = 'public."Child ""of"" it"'::regclass AND k.contype = 'f' AND k.convalidated"#,
                "2\n",
            ),
        ],
    );
}

/// A partition in another schema than its partitioned table, as large applications lay them
/// out: staged and retired in that schema's own twins (compile panicked on it before).
#[test]
fn a_partition_in_another_schema() {
    carries(
        "CREATE SCHEMA parts;
         CREATE TABLE public.ev (id int NOT NULL, k text NOT NULL, v int, PRIMARY KEY (k, id)) PARTITION BY LIST (k);
         CREATE TABLE parts.ev_a PARTITION OF public.ev FOR VALUES IN ('a');
         CREATE TABLE public.ev_b PARTITION OF public.ev FOR VALUES IN ('b');
         INSERT INTO public.ev SELECT g, (ARRAY['a', 'b'])[1 + g % 2], g FROM generate_series(1, 100) g;",
        "  - public.ev\n",
        "parts.ev_a",
        &[
            ("SELECT count(*) FROM parts.ev_a", "50\n"),
            ("SELECT inhparent::regclass FROM pg_inherits WHERE inhrelid = 'parts.ev_a'::regclass", "ev\n"),
        ],
    );
}

/// Hash partitions: the bound the staging partition is checked against before it is attached is
/// a call of `satisfies_hash_partition`, which needs its own parentheses in a CHECK.
#[test]
fn hash_partitions() {
    carries(
        "CREATE TABLE public.h (id int PRIMARY KEY, v text) PARTITION BY HASH (id);
         CREATE TABLE public.h0 PARTITION OF public.h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
         CREATE TABLE public.h1 PARTITION OF public.h FOR VALUES WITH (MODULUS 2, REMAINDER 1);
         INSERT INTO public.h SELECT g, 'v' || g FROM generate_series(1, 100) g;",
        "  - public.h\n",
        "public.h0",
        &[("SELECT count(*) FROM public.h", "100\n")],
    );
}

/// A CHECK on a partitioned table is inherited by every partition: it is neither drift on the
/// partitions nor added to them a second time.
#[test]
fn a_check_on_a_partitioned_table() {
    carries(
        "CREATE TABLE public.m (id int NOT NULL, v int CHECK (v >= 0)) PARTITION BY RANGE (id);
         CREATE TABLE public.m1 PARTITION OF public.m FOR VALUES FROM (0) TO (100);
         CREATE TABLE public.m2 PARTITION OF public.m FOR VALUES FROM (100) TO (200);
         INSERT INTO public.m SELECT g, g FROM generate_series(0, 199) g;",
        "  - public.m\n",
        "public.m1",
        &[(
            "SELECT string_agg(conrelid::regclass || ':' || conislocal || ':' || coninhcount, ',' ORDER BY conrelid::regclass::text) FROM pg_constraint WHERE conname = 'm_v_check' AND connamespace = 'public'::regnamespace",
            "m:true:0,m1:false:1,m2:false:1\n",
        )],
    );
}

/// A partition whose copy of the partitioned table's trigger is disabled, or fires on replicas:
/// the state is set on the trigger the attach creates, so after it.
#[test]
fn trigger_state_on_a_partition() {
    carries(
        "CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
         CREATE TABLE public.m (id int NOT NULL, v int) PARTITION BY RANGE (id);
         CREATE TABLE public.m1 PARTITION OF public.m FOR VALUES FROM (0) TO (100);
         CREATE TABLE public.m2 PARTITION OF public.m FOR VALUES FROM (100) TO (200);
         CREATE TABLE public.m3 PARTITION OF public.m FOR VALUES FROM (200) TO (300);
         CREATE TRIGGER tg BEFORE INSERT ON public.m FOR EACH ROW EXECUTE FUNCTION public.touch();
         ALTER TABLE public.m1 DISABLE TRIGGER tg;
         ALTER TABLE public.m2 ENABLE REPLICA TRIGGER tg;
         ALTER TABLE public.m3 ENABLE ALWAYS TRIGGER tg;
         INSERT INTO public.m SELECT g, g FROM generate_series(0, 299) g;",
        "  - public.m\n",
        "public.m1",
        &[(
            "SELECT string_agg(tgrelid::regclass || ':' || tgenabled::text, ',' ORDER BY tgrelid::regclass::text) FROM pg_trigger WHERE tgname = 'tg'",
            "m:O,m1:D,m2:R,m3:A\n",
        )],
    );
}

/// A table without columns, and a child whose columns all come from its parent: nothing to list
/// where the preflight lists columns.
#[test]
fn tables_without_columns_of_their_own() {
    carries(
        "CREATE TABLE public.nothing ();
         CREATE TABLE public.base (id int, v text);
         CREATE TABLE public.copy () INHERITS (public.base);
         INSERT INTO public.nothing DEFAULT VALUES;
         INSERT INTO public.nothing DEFAULT VALUES;
         INSERT INTO public.base VALUES (1, 'a');
         INSERT INTO public.copy VALUES (2, 'b');",
        "  - public.nothing\n  - public.base\n  - public.copy\n",
        "public.copy",
        &[
            ("SELECT count(*) FROM public.nothing", "2\n"),
            ("SELECT count(*) FROM public.base", "2\n"),
            ("SELECT count(*) FROM ONLY public.copy", "1\n"),
        ],
    );
}

/// A table access method other than heap: pg_restore sets `default_table_access_method` before
/// the `CREATE TABLE`, and the staging copy is created under the same setting (it was heap,
/// and only the copy-versus-production check at 40-verify noticed).
#[test]
fn a_table_access_method() {
    carries(
        "CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
         CREATE TABLE public.t (id int PRIMARY KEY, v text) USING heap2;
         CREATE TABLE public.p (id int NOT NULL) PARTITION BY RANGE (id);
         CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (100) USING heap2;
         CREATE TABLE public.p2 PARTITION OF public.p FOR VALUES FROM (100) TO (200);
         INSERT INTO public.t SELECT g, 'v' || g FROM generate_series(1, 10) g;
         INSERT INTO public.p SELECT g FROM generate_series(0, 199) g;",
        "  - public.t\n  - public.p\n",
        "public.t",
        &[(
            "SELECT string_agg(c.relname || ':' || a.amname, ',' ORDER BY c.relname) FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'",
            "p1:heap2,p2:heap,t:heap2\n",
        )],
    );
}

/// A typed table (`CREATE TABLE t OF ct`): its columns come from the composite type, which
/// pg_dump does not repeat, and the copy is typed too.
#[test]
fn a_typed_table() {
    carries(
        "CREATE TYPE public.ct AS (id int, v text);
         CREATE TABLE public.t OF public.ct (PRIMARY KEY (id), v WITH OPTIONS DEFAULT 'x');
         INSERT INTO public.t SELECT g, 'v' || g FROM generate_series(1, 10) g;",
        "  - public.t\n",
        "public.t",
        &[
            (
                "SELECT reloftype::regtype FROM pg_class WHERE oid = 'public.t'::regclass",
                "ct\n",
            ),
            ("INSERT INTO public.t (id) VALUES (11) RETURNING v", "x\n"),
        ],
    );
}

/// Materialized views over one over a plan table, as reports stack them: dropped from the top,
/// re-created from the bottom, refreshed in that order (they were refused).
#[test]
fn nested_materialized_views() {
    carries(
        "CREATE TABLE public.sale (id int PRIMARY KEY, amount int NOT NULL);
         CREATE MATERIALIZED VIEW public.daily AS SELECT id % 7 AS day, sum(amount) AS total FROM public.sale GROUP BY 1;
         CREATE MATERIALIZED VIEW public.weekly AS SELECT sum(total) AS total FROM public.daily;
         CREATE MATERIALIZED VIEW public.best AS SELECT max(total) AS best FROM public.daily;
         CREATE UNIQUE INDEX weekly_one ON public.weekly (total);
         INSERT INTO public.sale SELECT g, g FROM generate_series(1, 100) g;
         REFRESH MATERIALIZED VIEW public.daily;
         REFRESH MATERIALIZED VIEW public.weekly;
         REFRESH MATERIALIZED VIEW public.best;",
        "  - public.sale\n",
        "public.sale",
        &[
            ("SELECT total FROM public.weekly", "5050\n"),
            ("SELECT best FROM public.best", "765\n"),
            ("SELECT count(*) FROM pg_class WHERE relname IN ('daily', 'weekly', 'best', 'weekly_one') AND relispopulated", "4\n"),
        ],
    );
}

/// A refusal puts its label on the plan table the refused object depends on, and names it.
#[test]
fn refusals_name_the_table_concerned() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE TABLE public.first (id int PRIMARY KEY);
         CREATE TABLE public.second (id int PRIMARY KEY, v text);
         CREATE TABLE public.third (id int PRIMARY KEY);
         CREATE FUNCTION public.seconds() RETURNS SETOF public.second LANGUAGE sql AS 'SELECT * FROM public.second';
         CREATE VIEW public.second_view AS SELECT * FROM public.seconds();
         CREATE MATERIALIZED VIEW public.third_counts AS SELECT count(*) AS n FROM public.third;
         CREATE VIEW public.third_report AS SELECT n FROM public.third_counts;
         CREATE FOREIGN DATA WRAPPER nowhere;
         CREATE SERVER elsewhere FOREIGN DATA WRAPPER nowhere;
         CREATE FOREIGN TABLE public.remote (id int) SERVER elsewhere;",
    );
    let archive = Archive::make(&cluster, "shop");
    let said = archive.refusal(
        "refused",
        "  - public.first\n  - public.second\n  - public.third\n",
    );
    for (line, table, object) in [
        (9, "public.second", "VIEW public.second_view"),
        (10, "public.third", "VIEW public.third_report"),
    ] {
        let at = said
            .find(&format!("{object} (listing line"))
            .unwrap_or_else(|| panic!("{object} is not refused:\n{said}"));
        let message = &said[at..];
        assert!(
            message.contains(&format!("depends on restored table {table}")),
            "{said}"
        );
        assert!(
            message.contains(&format!(" {line} │   - {table}")),
            "{said}"
        );
    }
    let said = archive.refusal("remote", "  - public.remote\n");
    assert!(
        said.contains("public.remote is a foreign table: its rows live on a foreign server, and the dump holds none"),
        "{said}"
    );
}

/// A foreign key from a partitioned table into a plan table: re-pointed NOT VALID at cutover on
/// PostgreSQL 18; before 18 a partitioned table cannot take one NOT VALID, so compile refuses
/// (every cutover failed after the load), unless the plan has the cutover add it back valid.
#[test]
fn an_inbound_foreign_key_from_a_partitioned_table() {
    let setup = "CREATE TABLE public.account (id int PRIMARY KEY);
         CREATE TABLE public.ev (id int PRIMARY KEY, account int REFERENCES public.account) PARTITION BY RANGE (id);
         CREATE TABLE public.ev1 PARTITION OF public.ev FOR VALUES FROM (0) TO (100);
         INSERT INTO public.account SELECT generate_series(1, 10);
         INSERT INTO public.ev SELECT g, 1 + g % 10 FROM generate_series(0, 99) g;";
    let valid = (
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'public.account'::regclass AND convalidated",
        "2\n",
    );
    let cluster = Cluster::start();
    if cluster.major() >= 18 {
        drop(cluster);
        carries(setup, "  - public.account\n", "public.account", &[valid]);
        return;
    }
    cluster.create_database("shop");
    cluster.query("shop", setup);
    let said =
        Archive::make(&cluster, "shop").refusal_in_one_line("refused", "  - public.account\n");
    assert!(
        said.contains("FK CONSTRAINT public.ev ev_account_fkey (listing line")
            && said.contains("cannot be carried across the swap of public.account: it belongs to a partitioned table, and before PostgreSQL 18")
            && said.contains("set check_partitioned_references: true on this table"),
        "{said}"
    );
    drop(cluster);
    carries(
        setup,
        "  - name: public.account\n    check_partitioned_references: true\n",
        "public.account",
        &[valid],
    );
}

/// PostgreSQL 18 dumps planner statistics (`pg_dump --statistics`, STATISTICS DATA entries)
/// of production's tables: restage leaves them out of the load, and 30-build.sql analyzes each
/// staging copy, so the swapped tables have statistics of the rows they hold.
#[test]
fn statistics_in_the_dump_are_left_and_the_copies_analyzed() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE TABLE public.item (id int PRIMARY KEY, kind text NOT NULL);
         INSERT INTO public.item SELECT g, 'k' || (g % 5) FROM generate_series(1, 1000) g;
         ANALYZE public.item;",
    );
    let with_statistics: &[&str] = if cluster.major() >= 18 {
        &["--statistics"]
    } else {
        &[]
    };
    let archive = Archive::make_with(&cluster, "shop", with_statistics);
    let listing = std::fs::read_to_string(archive.path("db.list")).expect("listing");
    assert_eq!(
        listing.contains("STATISTICS DATA public item"),
        cluster.major() >= 18,
        "{listing}"
    );
    let run = archive.compile(&cluster, "shop", "stats", "  - public.item\n", "");
    let lists: String = std::fs::read_dir(run.out.join("load"))
        .expect("load lists")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("list"))
        .collect();
    assert!(!lists.contains("STATISTICS DATA"), "{lists}");
    assert!(lists.contains("TABLE DATA public item"), "{lists}");
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok_as_reviewed(&["50-cutover.sh"]);
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT c.reltuples, (SELECT n_distinct FROM pg_stats WHERE schemaname = 'public' AND tablename = 'item' AND attname = 'kind') \
             FROM pg_class c WHERE c.oid = 'public.item'::regclass"
        ),
        "1000|5\n"
    );
}

/// A table with several parents keeps them in the dump's order, whichever of them (and whether
/// the table itself) is restored: joining a parent puts it last, so each swap would move the
/// restored parent to the end of the list (`INHERITS (p2, p1)`), also after a rollback.
#[test]
fn multiple_inheritance_keeps_its_order() {
    let setup = "CREATE TABLE public.p1 (id int NOT NULL, a text);
         CREATE TABLE public.p2 (id int NOT NULL, b text CHECK (b <> ''));
         CREATE TABLE public.p3 (c int DEFAULT 3 NOT NULL, CONSTRAINT p3_c CHECK (c > 0));
         CREATE TABLE public.child (own text) INHERITS (public.p1, public.p2, public.p3);
         INSERT INTO public.p1 VALUES (1, 'a');
         INSERT INTO public.p2 VALUES (2, 'b');
         INSERT INTO public.p3 VALUES (5);
         INSERT INTO public.child VALUES (3, 'a', 'b', 4, 'own');";
    let order = (
        "SELECT string_agg(inhparent::regclass::text, ',' ORDER BY inhseqno) FROM pg_inherits WHERE inhrelid = 'public.child'::regclass",
        "p1,p2,p3\n",
    );
    for (tables, swapped) in [
        ("  - public.p1\n", "public.p1"),
        ("  - public.p2\n", "public.p2"),
        ("  - public.p2\n  - public.child\n", "public.child"),
        ("  - public.child\n", "public.child"),
        ("  - public.p3\n  - public.p1\n", "public.p3"),
    ] {
        carries(setup, tables, swapped, &[order]);
    }
}

const PARTITIONS_AND_KEYS: &str = "CREATE TABLE public.acct (id int PRIMARY KEY);
     CREATE TABLE public.ev (id int, k int, acct int REFERENCES public.acct, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
     CREATE TABLE public.ev1 PARTITION OF public.ev FOR VALUES IN (1);
     CREATE TABLE public.ev2 PARTITION OF public.ev FOR VALUES IN (2) PARTITION BY RANGE (id);
     CREATE TABLE public.ev2a PARTITION OF public.ev2 FOR VALUES FROM (0) TO (100);
     CREATE TABLE public.pref (id int, k int, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
     CREATE TABLE public.pref1 PARTITION OF public.pref FOR VALUES IN (1);
     CREATE TABLE public.uses_pref (id int PRIMARY KEY, pid int, pk int, FOREIGN KEY (pid, pk) REFERENCES public.pref);
     INSERT INTO public.acct VALUES (1), (2);
     INSERT INTO public.ev VALUES (1, 1, 1), (2, 2, 2), (3, 1, 2);
     INSERT INTO public.pref VALUES (1, 1);
     INSERT INTO public.uses_pref VALUES (1, 1, 1);";

/// Plan tables among partitions and the keys around them (README.md, What restage refuses): a
/// partition, at any depth, together with a table above it is restored twice; a partitioned
/// table that a foreign key references cannot lose its partitions.
#[test]
fn partitions_and_keys_that_are_refused() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query("shop", PARTITIONS_AND_KEYS);
    let archive = Archive::make(&cluster, "shop");
    for (tables, says) in [
        (
            "  - public.ev\n  - public.ev1\n",
            "public.ev1 is a partition of public.ev, which the plan restores too",
        ),
        // A partition that is itself partitioned (it was compiled, and its leaf restored twice).
        (
            "  - public.ev2\n  - public.ev\n",
            "public.ev2 is a partition of public.ev, which the plan restores too",
        ),
        (
            "  - public.ev\n  - public.ev2a\n",
            "public.ev2a is a partition of public.ev, which the plan restores too",
        ),
        (
            "  - public.ev2a\n  - public.ev2\n",
            "public.ev2a is a partition of public.ev2, which the plan restores too",
        ),
        (
            "  - public.pref\n",
            "a partition cannot be detached while a foreign key references the partitioned table",
        ),
        (
            "  - public.pref\n  - public.uses_pref\n",
            "a partition cannot be detached while a foreign key references the partitioned table",
        ),
    ] {
        let said = archive.refusal_in_one_line("refused", tables);
        assert!(said.contains(says), "{tables}: {said}");
    }
}

/// The combinations that work: partitions of one partitioned table together, a partition that
/// is partitioned, a partitioned table with the table its key references, the table that
/// references a partitioned one.
#[test]
fn partitions_and_keys_that_work() {
    for (tables, swapped) in [
        ("  - public.ev1\n  - public.ev2\n", "public.ev2a"),
        ("  - public.ev\n  - public.acct\n", "public.ev1"),
        ("  - public.uses_pref\n", "public.uses_pref"),
    ] {
        carries(
            PARTITIONS_AND_KEYS,
            tables,
            swapped,
            &[("SELECT count(*) FROM public.ev", "3\n")],
        );
    }
}
