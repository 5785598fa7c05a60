#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh COMMAND [ARG...]
# Starts a throwaway PostgreSQL cluster under a temporary directory (as the `postgres` user when
# run as root), on a free loopback port with a random password, runs COMMAND with
# AUTHD_DATABASE_URL pointing at it, then stops the cluster and deletes it, whatever happens.
set -euo pipefail

bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "with-postgres: no PostgreSQL server found; run scripts/install-deps.sh" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/authd-pg.XXXXXX")
chmod 755 "$dir"
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" > "$dir/pwfile"
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"

as_owner "$bindir/initdb" -D "$dir/data" -U authd --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" \
    || { cat "$dir/initdb.log" >&2; exit 1; }
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
as_owner "$bindir/createdb" -h "$dir" -p "$port" -U authd authd

export AUTHD_DATABASE_URL="host=127.0.0.1 port=$port user=authd password=$password dbname=authd"
export AUTHD_PG_BINDIR="$bindir" AUTHD_PG_DATA="$dir/data" AUTHD_PG_SOCKET_DIR="$dir" AUTHD_PG_PORT="$port"
echo "with-postgres: PostgreSQL on 127.0.0.1:$port (cluster in $dir, removed on exit)" >&2
"$@"
