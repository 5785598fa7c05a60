#!/usr/bin/env bash
# authd behind PgBouncer (Debian's) in transaction pooling mode: the pooled queries go through it,
# the revocation listener and the migrations connect directly (database.listen_url). The
# two-daemon checks run unchanged through it (lockout, unlock and tokens shared), and an authd
# whose listener would go through the pooler refuses to start, saying why, rather than silently
# missing revocations.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${AUTHD_DATABASE_URL:?run through scripts/with-postgres.sh}"
scripts/install-deps.sh pgbouncer
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

dir=$(mktemp -d)
chmod 755 "$dir"
bouncer_pid=""
cleanup() {
    if [ -f "$dir/pgbouncer.pid" ]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
    if [ -n "$bouncer_pid" ]; then wait "$bouncer_pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT
direct=$AUTHD_DATABASE_URL
password=$(sed -n 's/.*password=\([^ ]*\).*/\1/p' <<<"$direct")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '"authd" "%s"\n' "$password" > "$dir/userlist.txt"
cat > "$dir/pgbouncer.ini" <<CONF
[databases]
authd = host=127.0.0.1 port=$AUTHD_PG_PORT dbname=authd
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
CONF
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"
as_owner pgbouncer "$dir/pgbouncer.ini" >"$dir/pgbouncer.out" 2>&1 </dev/null &
bouncer_pid=$!
for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
bounced="host=127.0.0.1 port=$port user=authd password=$password dbname=authd"
failures=0

# The two-daemon checks, unchanged, with the pool through PgBouncer and the listener direct.
if AUTHD_DATABASE_URL="$bounced" AUTHD_DATABASE_LISTEN_URL="$direct" scripts/interop/two-daemons.sh >"$dir/two.log" 2>&1; then
    echo "ok: the two-daemon checks through PgBouncer (transaction pooling) with database.listen_url direct"
else
    cat "$dir/two.log" >&2
    echo "FAIL: the two-daemon checks through PgBouncer" >&2
    failures=$((failures + 1))
fi
grep -q "transaction" "$dir/pgbouncer.log" || true
served=$(grep -c "login attempt" "$dir/pgbouncer.log" || true)
if [ "${served:-0}" -gt 0 ]; then
    echo "ok: PgBouncer served authd's pool ($served client logins)"
else
    echo "FAIL: PgBouncer saw no client" >&2
    failures=$((failures + 1))
fi

# The listener through the pooler: authd refuses to start, naming the setting.
secret="$dir/secret"
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$secret"
status=0
AUTHD_DATABASE_URL="$bounced" AUTHD_JWT_SECRET_FILE="$secret" AUTHD_HTTP_ADDR=127.0.0.1:0 AUTHD_LINE_ADDR=127.0.0.1:0 \
    timeout 60 "${AUTHD_BIN:-.build/debug/authd}" --config config/authd.yaml >"$dir/refused.log" 2>&1 || status=$?
if [ "$status" != 0 ] && [ "$status" != 124 ] && grep -q "not a session of its own" "$dir/refused.log" \
    && grep -q "database.listen_url" "$dir/refused.log"; then
    echo "ok: a listener behind the transaction pooler stops authd at start (exit $status), naming database.listen_url"
else
    tail -n 20 "$dir/refused.log" >&2
    echo "FAIL: authd with its listener behind PgBouncer: exit $status" >&2
    failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
    tail -n 20 "$dir/pgbouncer.log" >&2
    echo "scale: PgBouncer checks FAILED ($failures)" >&2
    exit 1
fi
echo "scale: PgBouncer checks passed"
