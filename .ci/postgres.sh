#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the store contract tests.
#
#   eval "$(.ci/postgres.sh)"        # start (or reuse) it and export WIREWATCH_TEST_PG
#   .ci/postgres.sh stop             # stop it and delete its data directory
#
# Installs the `postgresql` Debian package if no server binaries are found. The
# cluster lives in a temporary directory, runs as the `postgres` user (initdb
# refuses root) and trusts local connections: it is for tests only.
# Everything but the final `export` line goes to stderr, so `eval` is safe.
set -euo pipefail

PORT="${WIREWATCH_PG_PORT:-54329}"
DIR="${WIREWATCH_PG_DIR:-${TMPDIR:-/tmp}/wirewatch-pg-$PORT}"
DB="${WIREWATCH_PG_DB:-wirewatch_test}"
URL="postgresql://postgres@127.0.0.1:$PORT/$DB"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

BIN="$(find_bin || true)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "installing postgresql from Debian ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN="$(find_bin)"
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir "$DIR" --shell /bin/sh postgres
fi

if [ "${1:-start}" = stop ]; then
  if [ -d "$DIR/data" ]; then
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >&2 || true
  fi
  rm -rf "$DIR"
  exit 0
fi

if ! as_postgres "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; fi
  as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
  as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" start >&2
fi
if ! as_postgres "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'" postgres | grep -q 1; then
  as_postgres "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" >&2
fi
echo "export WIREWATCH_TEST_PG=$URL"
