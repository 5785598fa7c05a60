#!/usr/bin/env bash
# Fault tests with real processes on a private cluster of their own:
#  1. the database unreachable at start: authd serves /readyz 503 saying why, retries with
#     backoff, and is ready without a restart once PostgreSQL is up;
#  2. PostgreSQL restarted (pg_ctl -m fast) under registrations and verifications: every 201
#     exists, nothing is half-written, authd serves again within 5 s on its own;
#  3. authd killed with SIGKILL under the same load and started again: the same checks;
#  4. the pool exhausted by queries stuck on a lock: 503 after the pool timeout, not a hang, and
#     verification keeps answering from memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_FAULTS_CLUSTER:-}" ]; then
    AUTHD_FAULTS_CLUSTER=1 exec scripts/with-postgres.sh "$0" "$@"
fi
source scripts/interop/lib.sh
check=scripts/interop/faults_check.py

http_status() { # http_status PATH: the status of a GET (000 when nothing answers)
    curl -s -o "$interop_work/body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$HTTP_PORT$1" || true
}
# seconds_until WANT SECONDS PATH: polls GET PATH until it answers WANT; prints the seconds it took or "timeout".
seconds_until() {
    for _ in $(seq 1 $(($2 * 10))); do
        if [ "$(http_status "$3")" = "$1" ]; then python3 -c "print(round($(date +%s.%N) - $4, 2))"; return 0; fi
        sleep 0.1
    done
    echo timeout
}
ready_within() { # ready_within SECONDS SINCE: yes when /readyz answers 200 within SECONDS of SINCE (epoch)
    local took
    took=$(seconds_until 200 "$1" /readyz "$2")
    echo "$took"
}

# 1. Unreachable at start.
pg_stop
export AUTHD_DATABASE_POOL_TIMEOUT_SECONDS=1
start_authd
expect 503 "$(http_status /readyz)" "database away at start: /readyz 503"
if grep -q "database unreachable" "$interop_work/body"; then
    echo "ok: /readyz says the database is unreachable"
else
    echo "FAIL: /readyz body: $(cat "$interop_work/body")" >&2
    failures=$((failures + 1))
fi
if wait_for_log "database unreachable at start, retrying" 10; then
    echo "ok: authd logs its retries"
else
    echo "FAIL: no retry in the log" >&2
    failures=$((failures + 1))
fi
pg_start
up=$(date +%s.%N)
took=$(ready_within 15 "$up")
if [ "$took" != timeout ]; then
    echo "ok: ready ${took} s after PostgreSQL came up, without a restart"
else
    echo "FAIL: not ready 15 s after PostgreSQL came up" >&2
    failures=$((failures + 1))
fi
register faultuser 'fault test pw 1'
export FAULTS_TOKEN
FAULTS_TOKEN=$(login faultuser 'fault test pw 1')
export AUTHD_URL="http://127.0.0.1:$HTTP_PORT"

# 2. PostgreSQL restarted under load.
python3 "$check" load 8 "$interop_work/restart.json" &
load=$!
sleep 2.5
pg_stop
pg_start
up=$(date +%s.%N)
took=$(ready_within 5 "$up")
if [ "$took" != timeout ]; then
    echo "ok: ready again ${took} s after PostgreSQL restarted"
else
    echo "FAIL: not ready 5 s after PostgreSQL restarted" >&2
    failures=$((failures + 1))
fi
python3 "$check" registered-within 5 "$up" || failures=$((failures + 1))
wait "$load" || failures=$((failures + 1))
python3 "$check" verify "$interop_work/restart.json" || failures=$((failures + 1))

# 3. authd killed with SIGKILL under load, then started again.
python3 "$check" load 5 "$interop_work/kill.json" &
load=$!
sleep 2
kill -KILL "${authd_pids[0]}"
wait "${authd_pids[0]}" 2>/dev/null || true
wait "$load" || failures=$((failures + 1))
authd_pids=()
start_authd
AUTHD_URL="http://127.0.0.1:$HTTP_PORT"
took=$(ready_within 10 "$(date +%s.%N)")
if [ "$took" != timeout ]; then
    echo "ok: a restarted authd is ready after ${took} s"
else
    echo "FAIL: the restarted authd is not ready" >&2
    failures=$((failures + 1))
fi
python3 "$check" verify "$interop_work/kill.json" || failures=$((failures + 1))
if login faultuser 'fault test pw 1' >/dev/null; then
    echo "ok: logins work after the kill"
else
    echo "FAIL: login after the kill" >&2
    failures=$((failures + 1))
fi

# 4. The pool exhausted by stuck queries.
kill "${authd_pids[0]}"
wait "${authd_pids[0]}" 2>/dev/null || true
authd_pids=()
AUTHD_DATABASE_MAX_CONNECTIONS=2 start_authd
AUTHD_URL="http://127.0.0.1:$HTTP_PORT" FAULTS_TOKEN=$(login faultuser 'fault test pw 1') \
    python3 "$check" exhaust || failures=$((failures + 1))

if [ "$failures" = 0 ]; then
    echo "interop: fault checks passed (unreachable at start, PostgreSQL restart, SIGKILL, pool exhaustion)"
else
    { grep -v '"message":"request"' "$interop_work/authd.log" || true; } | tail -n 30 >&2
    echo "interop: fault checks FAILED ($failures)" >&2
    exit 1
fi
