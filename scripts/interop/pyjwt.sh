#!/usr/bin/env bash
# Interop with PyJWT: a token authd issues verifies in PyJWT with the same secret, and a token PyJWT
# makes with the same secret and claims is accepted by authd. Runs the built authd against the
# PostgreSQL of scripts/with-postgres.sh; PyJWT comes from PyPI into .venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import jwt' 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'pyjwt>=2.8,<3'
fi

start_authd
if AUTHD_URL="http://127.0.0.1:$HTTP_PORT" SECRET_FILE="$SECRET_FILE" .venv/bin/python scripts/interop/pyjwt_check.py; then
    echo "interop: PyJWT checks passed"
else
    cat "$interop_work/authd.log" >&2
    echo "interop: PyJWT checks FAILED" >&2
    exit 1
fi
