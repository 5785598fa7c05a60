#!/usr/bin/env bash
# Graceful shutdown of a real authd: 20 logins in flight (scrypt at ln=14, so they queue on the
# hashing pool), 50 idle HTTP keep-alive connections and 10 idle line-protocol connections, then
# SIGTERM. Every login must succeed, every idle connection be closed by the server, and authd
# exit 0 within shutdown.deadline_seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

export AUTHD_LIMITS_ATTEMPTS_BURST=0 AUTHD_SHUTDOWN_DEADLINE_SECONDS=10
AUTHD_PASSWORD_SCRYPT_LN=14 start_authd
register shutdown_user 'shutdown user pw 1'
fail() {
    tail -n 30 "$interop_work/authd.log" >&2
    echo "interop: graceful shutdown checks FAILED" >&2
    exit 1
}
pid=${authd_pids[0]}
AUTHD_PID=$pid HTTP_PORT=$HTTP_PORT LINE_PORT=$LINE_PORT SIGTERM_AT="$interop_work/sigterm-at" \
    python3 scripts/interop/shutdown_check.py || fail
status=0
wait "$pid" || status=$?
authd_pids=()
elapsed=$(python3 -c "import sys, time; print(f'{time.time() - float(open(sys.argv[1]).read()):.2f}')" \
    "$interop_work/sigterm-at")
if [ "$status" = 0 ] && awk -v e="$elapsed" 'BEGIN { exit !(e < 10) }'; then
    echo "ok: authd exited 0, $elapsed s after SIGTERM (deadline 10 s)"
else
    echo "FAIL: authd exit status $status, $elapsed s after SIGTERM (deadline 10 s)" >&2
    fail
fi
echo "interop: graceful shutdown checks passed"

