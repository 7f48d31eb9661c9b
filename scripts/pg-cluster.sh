# Sourced by the benchmark scripts: a throwaway PostgreSQL cluster in a temporary folder, on a
# private socket, removed on exit. Sets PGHOST, PGPORT, PGUSER and PATH for the client tools.
#   PG_BINDIR   the server binaries (default: pg_config --bindir, else /usr/lib/postgresql/*/bin)

pg_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

PG_BIN=$(pg_bindir)
[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server binaries: install postgresql or set PG_BINDIR" >&2; exit 2; }
PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/restage-bench.XXXXXX")
as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
pg_stop() {
    as_server "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap pg_stop EXIT
# shellcheck disable=SC2086
as_server "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_server "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PGPORT -k $PG_DIR -c listen_addresses='' ${PG_SERVER_OPTIONS:-}" start >/dev/null
export PGHOST=$PG_DIR PGPORT PGUSER=postgres PGDATABASE=postgres
export PATH="$PG_BIN:$PATH"
