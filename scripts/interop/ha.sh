#!/usr/bin/env bash
# PostgreSQL HA: a primary (scripts/with-postgres.sh's private cluster) and a streaming standby made
# here with pg_basebackup, synchronous so that every commit answered 201 is on both. authd gets a
# multi-host URL with target_session_attrs=read-write. Under registrations and verifications the
# standby is promoted and the primary stopped; authd must reconnect to the new primary on its own
# and keep registering, with every 201 present there, nothing half-written, /readyz 200 again
# (the revocation listener follows too) and the tokens issued before the failover still valid.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_HA_CLUSTER:-}" ]; then
    AUTHD_HA_CLUSTER=1 exec scripts/with-postgres.sh "$0" "$@"
fi
source scripts/interop/lib.sh
check=scripts/interop/faults_check.py
started=$SECONDS

primary_url=$AUTHD_DATABASE_URL
password=$(sed -n 's/.*password=\([^ ]*\).*/\1/p' <<<"$primary_url")
standby_port=$(free_port)
standby_data="$AUTHD_PG_SOCKET_DIR/standby"
pg_on() { # pg_on PORT SQL: one value from the server on PORT
    "$AUTHD_PG_BINDIR/psql" -qAt -v ON_ERROR_STOP=1 \
        "host=127.0.0.1 port=$1 user=authd password=$password dbname=authd" -c "$2"
}

as_owner env PGPASSWORD="$password" "$AUTHD_PG_BINDIR/pg_basebackup" -h 127.0.0.1 -p "$AUTHD_PG_PORT" -U authd \
    -D "$standby_data" -R -X stream --checkpoint=fast --no-sync
as_owner "$AUTHD_PG_BINDIR/pg_ctl" -D "$standby_data" -l "$AUTHD_PG_SOCKET_DIR/standby.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $standby_port -k $AUTHD_PG_SOCKET_DIR -c fsync=off -c max_connections=300" \
    start >/dev/null
stop_standby() {
    as_owner "$AUTHD_PG_BINDIR/pg_ctl" -D "$standby_data" -m immediate stop >/dev/null 2>&1 || true
    stop_authd
}
trap stop_standby EXIT
pg_on "$AUTHD_PG_PORT" "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
pg_on "$AUTHD_PG_PORT" "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 100); do
    [ "$(pg_on "$AUTHD_PG_PORT" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ] && break
    sleep 0.1
done
expect 1 "$(pg_on "$AUTHD_PG_PORT" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" \
    "the standby streams synchronously"
expect t "$(pg_on "$standby_port" "SELECT pg_is_in_recovery()")" "the standby is in recovery (read-only)"

export AUTHD_DATABASE_URL="host=127.0.0.1,127.0.0.1 port=$AUTHD_PG_PORT,$standby_port user=authd password=$password dbname=authd target_session_attrs=read-write connect_timeout=2"
export AUTHD_DATABASE_POOL_TIMEOUT_SECONDS=2
start_authd
export AUTHD_URL="http://127.0.0.1:$HTTP_PORT"
register hauser 'ha test password 1'
export FAULTS_TOKEN
FAULTS_TOKEN=$(login hauser 'ha test password 1')

python3 "$check" load 8 "$interop_work/failover.json" &
load=$!
sleep 2.5
as_owner "$AUTHD_PG_BINDIR/pg_ctl" -D "$standby_data" -w promote >/dev/null
as_owner "$AUTHD_PG_BINDIR/pg_ctl" -D "$AUTHD_PG_DATA" -m fast -w stop >/dev/null
down=$(date +%s.%N)
echo "ha: standby promoted, primary stopped"
python3 "$check" registered-within 10 "$down" || failures=$((failures + 1))
ready=timeout
for _ in $(seq 1 100); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$AUTHD_URL/readyz")" = 200 ]; then
        ready=$(python3 -c "print(round($(date +%s.%N) - $down, 2))")
        break
    fi
    sleep 0.1
done
if [ "$ready" != timeout ]; then
    echo "ok: /readyz 200 ${ready} s after the failover (listener on the new primary)"
else
    echo "FAIL: /readyz not 200 10 s after the failover: $(curl -s "$AUTHD_URL/readyz")" >&2
    failures=$((failures + 1))
fi
wait "$load" || failures=$((failures + 1))
expect f "$(pg_on "$standby_port" "SELECT pg_is_in_recovery()")" "the former standby is the primary now"
AUTHD_DATABASE_URL="host=127.0.0.1 port=$standby_port user=authd password=$password dbname=authd" \
    python3 "$check" verify "$interop_work/failover.json" || failures=$((failures + 1))
expect 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $FAULTS_TOKEN" "$AUTHD_URL/protected")" \
    "a token issued before the failover still verifies"
if login hauser 'ha test password 1' >/dev/null; then
    echo "ok: logins work on the new primary"
else
    echo "FAIL: login after the failover" >&2
    failures=$((failures + 1))
fi

if [ "$failures" = 0 ]; then
    echo "interop: HA failover checks passed in $((SECONDS - started)) s"
else
    { grep -v '"message":"request"' "$interop_work/authd.log" || true; } | tail -n 30 >&2
    echo "interop: HA failover checks FAILED ($failures)" >&2
    exit 1
fi
