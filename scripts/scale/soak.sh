#!/usr/bin/env bash
# `make soak` (not in `make test`): one release authd under a steady mixed load for SOAK_MINUTES
# (30): GET /protected on four keep-alive connections (200/s), pipelined VERIFY (400/s), and
# registrations, logins, refreshes and logouts (2/s). Every 10 s, its RSS, open file descriptors,
# database connections and the window's p99 go to docs/soak.csv; docs/soak.png plots them. Fails
# when RSS (0.5 MiB/min), file descriptors (0.5/min) or database connections (0.2/min) grow faster
# than that over the second half, or any request fails (scripts/scale/soak.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
echo "soak: building authd in release mode" >&2
swift build -c release --product authd >/dev/null
if ! .venv/bin/python -c 'import matplotlib' 2>/dev/null; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'matplotlib>=3.7,<4'
fi
source scripts/interop/lib.sh
export AUTHD_LIMITS_ATTEMPTS_BURST=0 AUTHD_LIMITS_REGISTER_BURST=0 AUTHD_LIMITS_ACCOUNT_FAILURES_BURST=0
AUTHD_BIN="$(swift build -c release --show-bin-path)/authd" start_authd
echo "soak: ${SOAK_MINUTES:-30} minutes against pid ${authd_pids[-1]}" >&2
status=0
.venv/bin/python scripts/scale/soak.py "$HTTP_PORT" "$LINE_PORT" "${authd_pids[-1]}" "$AUTHD_DATABASE_URL" \
    "${SOAK_CSV:-docs/soak.csv}" "${SOAK_PNG:-docs/soak.png}" || status=$?
if [ "$status" -ne 0 ]; then
    grep -v '"route"' "$interop_work/authd.log" | grep -v '"level":"info"' | tail -n 20 >&2
    echo "soak: FAILED" >&2
    exit 1
fi
echo "soak: passed (${SOAK_CSV:-docs/soak.csv}, ${SOAK_PNG:-docs/soak.png})"
