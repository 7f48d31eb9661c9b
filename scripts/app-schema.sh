#!/usr/bin/env bash
# Derives tests/fixtures/app/schema.sql, a trimmed copy of GitLab's db/structure.sql (a pg_dump
# schema dump, MIT licensed), from the upstream file:
#
#   scripts/app-schema.sh [UPSTREAM_STRUCTURE_SQL] > tests/fixtures/app/schema.sql
#
# Without an argument it downloads the pinned upstream file (curl) and checks its SHA-256.
# What it keeps: the plan tables listed in tests/fixtures/app/plan-tables.txt, every table with
# a foreign key to one of them other than the four roots (organizations, namespaces, users,
# projects), the project_* / namespace_* / group_* / user_* tables with a foreign key to
# projects / namespaces / users, the CI pipeline/stage/build partitioned tables, and the tables
# the route views read; then, until nothing changes, every table those reference by foreign key,
# the partitions of kept partitioned tables, and every table a trigger function on a kept table
# reads or writes. Every statement of the upstream file is kept, byte for byte and in order, when
# what it creates or alters belongs to a kept table (sequences, defaults, constraints, indexes,
# index attachments, triggers, comments); functions are kept when a kept statement calls them
# or when every table they name is kept; views when every relation they read is kept.
# The only rewrite: NULLS NOT DISTINCT (PostgreSQL 15+) is cut from unique indexes so that the
# file loads on 14 too (none of the kept tables has one at the pinned commit; the rule stays
# for newer upstream files), and a header is prepended.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
plan=${APP_PLAN_TABLES:-$here/tests/fixtures/app/plan-tables.txt}
repo=flyisland/gitlab-ee
commit=6714c9136253116b8a4cee79eb063a666df7aa96
sha256=948b31d7abb3276db2348d2c217fa27e7ebe79728f4cc7d1f3cf9485af24b8ed
url="https://raw.githubusercontent.com/$repo/$commit/db/structure.sql"
src=${1:-}
if [ -z "$src" ]; then
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    curl -fsSL "$url" -o "$tmp"
    src=$tmp
fi
got=$(sha256sum "$src" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
    echo "app-schema.sh: $src has SHA-256 $got, not the pinned $sha256 (db/structure.sql of $repo@$commit);" >&2
    echo "  the selection may differ from the committed fixture" >&2
    [ "${APP_SCHEMA_ANY_INPUT:-}" = 1 ] || exit 1
fi
python3 - "$src" "$plan" "$repo" "$commit" "$got" <<'PY'
import re, sys, collections

src, plan_path, repo, commit, digest = sys.argv[1:6]
text = open(src, encoding='utf-8').read()


def split(text):
    """Statements of a SQL file, aware of quotes, dollar quotes and -- comments."""
    out, i, n, start = [], 0, len(text), 0
    while i < n:
        c = text[i]
        if c == "'":
            i += 1
            while i < n:
                if text[i] == "'":
                    if i + 1 < n and text[i + 1] == "'":
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif c == '"':
            i = text.index('"', i + 1) + 1
        elif text.startswith('--', i):
            j = text.find('\n', i)
            i = n if j < 0 else j + 1
        elif c == '$':
            m = re.match(r'\$([A-Za-z_][A-Za-z_0-9]*)?\$', text[i:i + 100])
            if m:
                tag = m.group(0)
                i = text.index(tag, i + len(tag)) + len(tag)
            else:
                i += 1
        elif c == ';':
            out.append(text[start:i + 1].strip())
            i += 1
            start = i
        else:
            i += 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


ID = r'(?:"[^"]+"|[A-Za-z_][A-Za-z_0-9$]*)'
QID = rf'(?:{ID}\.)?{ID}'


def norm(name):
    name = name.replace('"', '')
    return name if '.' in name else 'public.' + name


TOK = re.compile(r'[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)?')


def tokens(s):
    return {norm(t) for t in TOK.findall(s.replace('"', ''))}


st = split(text)
kind = [None] * len(st)   # (kind, owner, other)
tables, funcs, views, seqs, index_table = {}, {}, {}, {}, {}
fks, parts, parent, trig = [], collections.defaultdict(list), {}, []
for i, s in enumerate(st):
    flat = re.sub(r'\s+', ' ', s)
    if m := re.match(rf'CREATE TABLE ({QID}) ', flat):
        tables[norm(m[1])] = i
        kind[i] = ('table', norm(m[1]), None)
    elif m := re.match(rf'CREATE SEQUENCE ({QID})', flat):
        seqs[norm(m[1])] = i
        kind[i] = ('sequence', norm(m[1]), None)
    elif m := re.match(rf'ALTER SEQUENCE ({QID}) OWNED BY ({QID})\.{ID};', flat):
        kind[i] = ('seqowner', norm(m[1]), norm(m[2]))
    elif m := re.match(rf'CREATE FUNCTION ({QID})\(', flat):
        funcs[norm(m[1])] = i
        kind[i] = ('function', norm(m[1]), None)
    elif m := re.match(rf'CREATE VIEW ({QID}) ', flat):
        views[norm(m[1])] = i
        kind[i] = ('view', norm(m[1]), None)
    elif m := re.match(rf'CREATE (?:UNIQUE )?INDEX ({ID}) ON (?:ONLY )?({QID}) ', flat):
        # an index lives in its table's schema
        t = norm(m[2])
        idx = t.split('.')[0] + '.' + m[1].replace('"', '')
        index_table[idx] = t
        kind[i] = ('index', t, idx)
    elif m := re.match(rf'ALTER INDEX ({QID}) ATTACH PARTITION ({QID});', flat):
        kind[i] = ('indexattach', norm(m[1]), norm(m[2]))
    elif m := re.match(rf'ALTER TABLE ONLY ({QID}) ATTACH PARTITION ({QID}) ', flat):
        p, c = norm(m[1]), norm(m[2])
        parts[p].append(c)
        parent[c] = p
        kind[i] = ('attach', p, c)
    elif m := re.match(rf'ALTER TABLE (?:ONLY )?({QID}) ADD CONSTRAINT {ID} FOREIGN KEY \([^)]*\) REFERENCES ({QID})\(', flat):
        fks.append((norm(m[1]), norm(m[2])))
        kind[i] = ('fk', norm(m[1]), norm(m[2]))
    elif m := re.match(rf'ALTER TABLE (?:ONLY )?({QID}) ADD CONSTRAINT ({ID}) (?:PRIMARY KEY|UNIQUE|EXCLUDE)', flat):
        # a key's index has the constraint's name, in its table's schema
        t = norm(m[1])
        index_table[t.split('.')[0] + '.' + m[2].replace('"', '')] = t
        kind[i] = ('altertable', t, None)
    elif m := re.match(rf'ALTER TABLE (?:ONLY )?({QID}) ', flat):
        kind[i] = ('altertable', norm(m[1]), None)
    elif m := re.match(rf'CREATE TRIGGER {ID} .*? ON ({QID}) .*EXECUTE FUNCTION ({QID})\(', flat):
        trig.append((norm(m[1]), norm(m[2])))
        kind[i] = ('trigger', norm(m[1]), norm(m[2]))
    elif m := re.match(rf'COMMENT ON (COLUMN|TABLE|INDEX|FUNCTION|VIEW) ({QID})', flat):
        name = norm(m[2])
        if m[1] == 'COLUMN':
            name = norm(m[2].rsplit('.', 1)[0])
        kind[i] = ('comment', m[1].lower(), name)
    elif re.match(r'(CREATE SCHEMA|COMMENT ON SCHEMA|CREATE EXTENSION) ', flat):
        kind[i] = ('always', None, None)
    else:
        sys.exit(f'app-schema.sh: statement {i} is of no known kind: {flat[:200]}')

relations = set(tables) | set(views)
ftables = {f: (tokens(st[i]) & relations) - {f} for f, i in funcs.items()}
ffuncs = {f: (tokens(st[i]) & set(funcs)) - {f} for f, i in funcs.items()}

plan = [l.split('#')[0].strip() for l in open(plan_path)]
plan = [norm(p) for p in plan if p]
missing = [p for p in plan if p not in tables]
if missing:
    sys.exit(f'app-schema.sh: plan tables not in the upstream file: {missing}')
roots = {'public.organizations', 'public.namespaces', 'public.users', 'public.projects'}
seed = set(plan)
for a, b in fks:
    name = a.split('.', 1)[1]
    if b in set(plan) - roots:
        seed.add(a)
    if b == 'public.projects' and name.startswith('project_'):
        seed.add(a)
    if b == 'public.namespaces' and name.startswith(('namespace_', 'group_')):
        seed.add(a)
    if b == 'public.users' and name.startswith('user_'):
        seed.add(a)
for name in ('p_ci_pipelines', 'p_ci_stages', 'p_ci_builds', 'routes', 'shards',
             'snippets', 'snippet_repositories', 'group_wiki_repositories',
             'design_management_repositories'):
    seed.add('public.' + name)

keep_t = set(seed)
keep_f = set()
while True:
    before = (len(keep_t), len(keep_f))
    for a, b in fks:
        if a in keep_t:
            keep_t.add(b)
    for t in list(keep_t):
        keep_t.update(parts.get(t, ()))
        if t in parent:
            keep_t.add(parent[t])
    for t, f in trig:
        if t in keep_t:
            keep_f.add(f)
    # functions that kept tables' own statements call (defaults, checks, index expressions)
    for i, k in enumerate(kind):
        if k[0] in ('table', 'altertable', 'index', 'fk') and k[1] in keep_t:
            keep_f |= tokens(st[i]) & set(funcs)
    for f in list(keep_f):
        keep_f |= ffuncs[f]
        keep_t |= ftables[f] & set(tables)
    if (len(keep_t), len(keep_f)) == before:
        break
# views whose relations are all kept (in file order, so a view over a view works)
keep_v = set()
for v, i in sorted(views.items(), key=lambda x: x[1]):
    if (tokens(st[i]) & relations) - {v} <= keep_t | keep_v:
        keep_v.add(v)
# functions no kept statement needs, kept when they are no trigger function (those of triggers
# on tables not kept go) and every relation and sequence they name is kept
seq_owner = {k[1]: k[2] for k in kind if k and k[0] == 'seqowner'}
default_seqs = set()
for i, k in enumerate(kind):
    if k[0] == 'altertable' and k[1] in keep_t:
        default_seqs |= tokens(st[i].replace("'", ' ')) & set(seqs)
for f, i in funcs.items():
    fseqs = tokens(st[i].replace("'", ' ')) & set(seqs)
    if (ftables[f] <= keep_t | keep_v and ffuncs[f] <= set(funcs)
            and not re.search(r'\) RETURNS trigger\b', st[i])
            and all(seq_owner.get(q) in keep_t or q in default_seqs for q in fseqs)):
        keep_f.add(f)
changed = True
while changed:
    changed = False
    for f in list(keep_f):
        if not ffuncs[f] <= keep_f or not ftables[f] <= keep_t | keep_v:
            if any(tf == f for t, tf in trig if t in keep_t):
                sys.exit(f'app-schema.sh: trigger function {f} needs what is not kept')
            keep_f.discard(f)
            changed = True
# sequences: owned by a kept table, or named by a kept statement
keep_s = set()
for i, k in enumerate(kind):
    if k[0] == 'seqowner' and k[2] in keep_t:
        keep_s.add(k[1])
    if (k[0] == 'altertable' and k[1] in keep_t) or (k[0] == 'function' and k[1] in keep_f):
        keep_s |= tokens(st[i].replace("'", ' ')) & set(seqs)

def kept(k):
    what, a, b = k
    if what == 'always':
        return True
    if what in ('table', 'altertable', 'index', 'trigger'):
        return a in keep_t
    if what in ('fk', 'attach'):
        return a in keep_t and b in keep_t
    if what == 'indexattach':
        return index_table.get(a) in keep_t and index_table.get(b) in keep_t
    if what == 'sequence':
        return a in keep_s
    if what == 'seqowner':
        return a in keep_s and b in keep_t
    if what == 'function':
        return a in keep_f
    if what == 'view':
        return a in keep_v
    if what == 'comment':
        if a in ('column', 'table'):
            return b in keep_t or b in keep_v
        if a == 'index':
            return index_table.get(b) in keep_t
        if a == 'function':
            return b in keep_f
        if a == 'view':
            return b in keep_v
    raise AssertionError(k)

out = []
nulls_nd = []
for i, s in enumerate(st):
    if not kept(kind[i]):
        continue
    if kind[i][0] == 'index' and ' NULLS NOT DISTINCT' in s:
        nulls_nd.append(kind[i][2])
        s = s.replace(' NULLS NOT DISTINCT', '')
    out.append(s)

n_part = sum(1 for t in keep_t if 'PARTITION BY' in re.sub(r'\s+', ' ', st[tables[t]]))
n_child = sum(1 for t in keep_t if t in parent)
stats = collections.Counter(kind[i][0] for i in range(len(st)) if kept(kind[i]))
header = f"""-- GitLab application schema, trimmed, for restage's end-to-end fixture.
--
-- Origin: GitLab (https://gitlab.com/gitlab-org/gitlab), file db/structure.sql, as mirrored on
--   GitHub by {repo} at commit {commit}
--   ("Sync from GitLab master at 2026-02-13 10:28:06", VERSION 18.9.0-pre),
--   SHA-256 of the upstream file {digest}.
-- Licence: MIT (Expat), Copyright (c) 2011-present GitLab Inc.; db/ lies outside ee/ and doc/,
--   so GitLab's LICENSE puts it under the MIT Expat licence. See README.md beside this file.
--
-- Derived by scripts/app-schema.sh (reproducible from the upstream file). Changes:
--   * trimmed: {len(keep_t)} of {len(tables)} tables kept ({n_part} partitioned tables, {n_child} partitions in
--     gitlab_partitions_static, {len(keep_t) - n_part - n_child} others), {len(keep_v)} of {len(views)} views, {len(keep_f)} of {len(funcs)} functions,
--     {stats['trigger']} of {len(trig)} triggers, {stats['fk']} of {len(fks)} foreign keys, {stats['index']} of {sum(1 for k in kind if k and k[0] == 'index')} indexes; every statement
--     kept is byte for byte the upstream one, in the upstream order (see the script for the rule);
--   * {'NULLS NOT DISTINCT cut (PostgreSQL 15+ only) from: ' + ', '.join(nulls_nd) if nulls_nd else 'no statement rewritten: nothing kept needs a newer major than 14'};
--   * this header added. Nothing else: extensions are btree_gist and pg_trgm (contrib), as upstream.
-- Load: psql -X -v ON_ERROR_STOP=1 -q -f schema.sql (superuser, fresh database, PostgreSQL 14-18).
"""
sys.stdout.write(header + '\n' + '\n\n'.join(out) + '\n')
print(f'app-schema.sh: kept {len(keep_t)} tables, {len(keep_v)} views, {len(keep_f)} functions, '
      f'{stats["trigger"]} triggers, {stats["fk"]} foreign keys, {stats["index"]} indexes', file=sys.stderr)
PY
