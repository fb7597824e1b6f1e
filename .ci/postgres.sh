#!/usr/bin/env bash
# Start or stop a throwaway local PostgreSQL for the store tests (CI and developers alike).
#
#   eval "$(bash .ci/postgres.sh start)"   # prints: export AMZCANCEL_TEST_POSTGRES=postgresql://...
#   pytest tests/store_contract
#   bash .ci/postgres.sh stop
#
# The server listens on 127.0.0.1 only, port $AMZCANCEL_PG_PORT (default 54329), with trust
# authentication (tests only: never point this at data you care about), its data directory in
# a temporary folder that `stop` removes. Durability is switched off (fsync=off): the tests
# exercise the store's transactions, not the disk. Run as root, the server runs as the
# `postgres` user (PostgreSQL refuses root); Debian's postgresql package is installed with
# apt-get when initdb/pg_ctl are missing.
set -euo pipefail

PORT="${AMZCANCEL_PG_PORT:-54329}"
DATA="${AMZCANCEL_PG_DIR:-${TMPDIR:-/tmp}/amzcancel-pg-$PORT}"
DSN="postgresql://postgres@127.0.0.1:$PORT/postgres"

log() { echo "postgres.sh: $*" >&2; }

find_bin() {
  local name="$1" dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
  done
  return 1
}

ensure_installed() {
  if find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    log "initdb/pg_ctl not found; install PostgreSQL (Debian: apt-get install postgresql)"
    exit 1
  fi
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
}

# Run a command as the server's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  ensure_installed
  local initdb pg_ctl pg_isready
  initdb="$(find_bin initdb)"
  pg_ctl="$(find_bin pg_ctl)"
  if [ -f "$DATA/postmaster.pid" ] && as_owner "$pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    log "already running on port $PORT ($DATA)"
    echo "export AMZCANCEL_TEST_POSTGRES=$DSN"
    return 0
  fi
  rm -rf "$DATA"
  mkdir -p "$DATA"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$DATA"
  fi
  chmod 700 "$DATA"
  as_owner "$initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  as_owner "$pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null
  pg_isready="$(find_bin pg_isready || true)"
  if [ -n "$pg_isready" ]; then
    as_owner "$pg_isready" -h 127.0.0.1 -p "$PORT" -t 30 >/dev/null
  fi
  log "PostgreSQL listening on 127.0.0.1:$PORT ($DATA)"
  echo "export AMZCANCEL_TEST_POSTGRES=$DSN"
}

stop() {
  local pg_ctl
  if [ ! -d "$DATA" ]; then return 0; fi
  if pg_ctl="$(find_bin pg_ctl)" && [ -f "$DATA/postmaster.pid" ]; then
    as_owner "$pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DATA"
  log "stopped and removed $DATA"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
