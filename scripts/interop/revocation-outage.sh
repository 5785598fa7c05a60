#!/usr/bin/env bash
# PostgreSQL stopped under two running daemons: both keep verifying from memory at first; once the
# revocation listener has been away longer than revocation.max_staleness_seconds, the fail-closed
# daemon answers TEMP unavailable / 503 and /readyz says why, the fail-open one keeps answering;
# when PostgreSQL is back, the fail-closed daemon recovers without a restart.
# Runs on a private cluster of its own (it stops it), started through scripts/with-postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_OUTAGE_CLUSTER:-}" ]; then
    AUTHD_OUTAGE_CLUSTER=1 exec scripts/with-postgres.sh "$0" "$@"
fi
source scripts/interop/lib.sh

export AUTHD_REVOCATION_MAX_STALENESS_SECONDS=2
start_authd
closed_http=$HTTP_PORT closed_line=$LINE_PORT
AUTHD_REVOCATION_FAIL_OPEN=true start_authd
open_line=$LINE_PORT
HTTP_PORT=$closed_http

user="outage$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "outage test pw 1"
token=$(login "$user" "outage test pw 1")

ctl=.build/debug/authctl
verify_status() { # verify_status LINE_PORT: authctl's exit status (0 OK, 1 NO, 2 TEMP)
    local status=0
    $ctl verify --addr "127.0.0.1:$1" "$token" >/dev/null 2>&1 || status=$?
    echo "$status"
}
http_status() { # http_status PATH: the status of a GET on the fail-closed daemon, with the token
    python3 - "$closed_http" "$1" "$token" <<'PY'
import sys, urllib.error, urllib.request
port, path, token = sys.argv[1:]
request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
try:
    print(urllib.request.urlopen(request, timeout=10).status)
except urllib.error.HTTPError as error:
    print(error.code)
PY
}
# wait_for WANT SECONDS COMMAND...: polls COMMAND's output every 0.1 s; prints the seconds it took.
wait_for() {
    local want=$1 limit=$2 start got
    shift 2
    start=$(date +%s.%N)
    while :; do
        got=$("$@")
        if [ "$got" = "$want" ]; then python3 -c "print(round($(date +%s.%N) - $start, 2))"; return 0; fi
        if python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $start > $limit else 1)"; then
            echo "timeout (last: $got)"
            return 0
        fi
        sleep 0.1
    done
}

expect 0 "$(verify_status "$closed_line")" "database up: VERIFY OK on the fail-closed daemon"
expect 200 "$(http_status /readyz)" "database up: ready"

pg_stop
expect 0 "$(verify_status "$closed_line")" "database just stopped: VERIFY still answered from memory"
expect 200 "$(http_status /protected)" "database just stopped: GET /protected still answered from memory"
took=$(wait_for 2 15 verify_status "$closed_line")
echo "fail-closed daemon answered TEMP after ${took} s (max staleness 2 s)"
expect 2 "$(verify_status "$closed_line")" "stale beyond the limit: VERIFY answers TEMP (fail closed)"
expect 503 "$(http_status /protected)" "stale beyond the limit: GET /protected is 503"
expect 503 "$(http_status /readyz)" "stale beyond the limit: not ready"
expect 0 "$(verify_status "$open_line")" "the fail-open daemon keeps answering from memory"

pg_start
took=$(wait_for 0 20 verify_status "$closed_line")
echo "fail-closed daemon answered OK again ${took} s after PostgreSQL came back"
expect 0 "$(verify_status "$closed_line")" "database back: VERIFY OK again without a restart"
expect 200 "$(http_status /protected)" "database back: GET /protected 200"
expect 200 "$(wait_for 200 10 http_status /readyz >/dev/null; http_status /readyz)" "database back: ready"

if [ "$failures" -ne 0 ]; then
    cat "$interop_work/authd.log" >&2
    echo "interop: revocation outage checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: revocation outage checks passed (fail closed after the staleness limit, fail open, recovery)"
