#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (#18): Debian's server binaries, a data folder
# under /tmp, a local port, run as an unprivileged user (`postgres` when started by root), the
# owner `huce` with a password (scram-sha-256, as an office server would have it) and a database
# with code-point ordering (LC_COLLATE C, as the README's office set-up asks for).
#
#   bash scripts/pg-cluster.sh start   # prints the URL to put in HUCE_TEST_PG
#   bash scripts/pg-cluster.sh stop
set -euo pipefail

DIR="${HUCE_PG_DIR:-/tmp/huce-pg-cluster}"
PORT="${HUCE_PG_PORT:-55432}"
PASSWORD="huce-test-only"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$BIN" ]; then
  echo "PostgreSQL server binaries not found: install Debian's postgresql package" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ -f "$DIR/data/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      echo "postgres://huce:$PASSWORD@127.0.0.1:$PORT/huce_test"
      exit 0
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$DIR"; fi
    printf '%s\n' "$PASSWORD" > "$DIR/pw.tmp"
    if [ "$(id -u)" = "0" ]; then chown postgres "$DIR/pw.tmp"; fi
    as_owner "$BIN/initdb" -D "$DIR/data" -U huce --pwfile="$DIR/pw.tmp" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C >/dev/null
    rm -f "$DIR/pw.tmp"
    # SSL on, as an office server reached from outside its LAN would have it: a self-signed
    # certificate for 127.0.0.1 (the tests read its path with SHOW ssl_cert_file). Plain
    # connections are still accepted (pg_hba's host lines take both).
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1" \
      -keyout "$DIR/server.key" -out "$DIR/server.crt" >/dev/null 2>&1
    chmod 600 "$DIR/server.key"
    chmod 644 "$DIR/server.crt"
    if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$DIR/server.key" "$DIR/server.crt"; fi
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c ssl=on -c ssl_cert_file=$DIR/server.crt -c ssl_key_file=$DIR/server.key" \
      start >/dev/null
    PGPASSWORD="$PASSWORD" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U huce \
      -E UTF8 --locale=C -T template0 huce_test
    echo "postgres://huce:$PASSWORD@127.0.0.1:$PORT/huce_test"
    ;;
  stop)
    if [ -d "$DIR/data" ]; then as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true; fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
