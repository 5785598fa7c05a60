#!/usr/bin/env bash
# Interop with PyJWT: a token authd issues verifies in PyJWT with the same secret, and a token PyJWT
# makes with the same secret and claims is accepted by authd. Runs the built authd against the
# PostgreSQL of scripts/with-postgres.sh; PyJWT comes from PyPI into .venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${AUTHD_DATABASE_URL:?run through scripts/with-postgres.sh}"

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import jwt' 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'pyjwt>=2.8,<3'
fi

work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$work/secret"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

AUTHD_JWT_SECRET_FILE="$work/secret" AUTHD_HTTP_ADDR="127.0.0.1:$port" AUTHD_LINE_ADDR="127.0.0.1:0" AUTHD_PASSWORD_SCRYPT_LN=12 \
    .build/debug/authd --config config/authd.yaml >"$work/authd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

if AUTHD_URL="http://127.0.0.1:$port" SECRET_FILE="$work/secret" .venv/bin/python scripts/interop/pyjwt_check.py; then
    echo "interop: PyJWT checks passed"
else
    echo "authd log:" >&2
    cat "$work/authd.log" >&2
    echo "interop: PyJWT checks FAILED" >&2
    exit 1
fi
