#!/usr/bin/env bash
# Operations interop: a running authd at log level debug gets traffic over HTTP and the line
# protocol; then X-Request-Id, /authz (bearer, cookie, X-Required-Role), /metrics counters moving
# with that traffic, SIGTERM exiting 0, every log line being one JSON object and no password,
# token, refresh token, TOTP secret, recovery code, key or database password anywhere in the log.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

head -c 48 /dev/urandom | base64 | tr -d '\n' > "$interop_work/mfa-key"
export AUTHD_MFA_KEY_FILE="$interop_work/mfa-key"
AUTHD_LOG_LEVEL=debug start_authd
export AUTHD_URL="http://127.0.0.1:$HTTP_PORT" AUTHD_LINE="127.0.0.1:$LINE_PORT" OPS_WORK="$interop_work"
export OPS_SECRET_FILES="$SECRET_FILE:$AUTHD_MFA_KEY_FILE"
fail() {
    echo "--- authd log (last 40 lines)" >&2
    tail -n 40 "$interop_work/authd.log" >&2
    echo "interop: operations checks FAILED" >&2
    exit 1
}
python3 scripts/interop/operations_check.py traffic || fail

# SIGTERM: drains and exits 0.
pid=${authd_pids[0]}
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
authd_pids=()
if [ "$status" = 0 ]; then
    echo "ok: SIGTERM exits 0"
else
    echo "FAIL: SIGTERM exit status $status" >&2
    fail
fi

OPS_LOG="$interop_work/authd.log" python3 scripts/interop/operations_check.py logs || fail
echo "interop: operations checks passed (request ids, /authz, /metrics, SIGTERM, JSON logs without secrets)"
