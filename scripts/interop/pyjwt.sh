#!/usr/bin/env bash
# Interop with PyJWT: a token authd issues verifies in PyJWT with the same secret, and a token PyJWT
# makes with the same secret and claims is accepted by authd; then the same both ways for EdDSA,
# ES256 and RS256 tokens, each with a key `authctl key generate` wrote, and a rotation of each as
# PyJWKClient sees it (retired key still published and accepted, removed key refused). Runs the built authd against the
# PostgreSQL of scripts/with-postgres.sh; PyJWT comes from PyPI into .venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import jwt, cryptography, jwcrypto' 2>/dev/null; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'pyjwt[crypto]>=2.8,<3' 'jwcrypto>=1.5,<2'
fi

start_authd
if AUTHD_URL="http://127.0.0.1:$HTTP_PORT" SECRET_FILE="$SECRET_FILE" .venv/bin/python scripts/interop/pyjwt_check.py; then
    echo "interop: PyJWT checks passed"
else
    cat "$interop_work/authd.log" >&2
    echo "interop: PyJWT checks FAILED" >&2
    exit 1
fi

for alg in EdDSA ES256 RS256; do
    key="$interop_work/signing-$alg.pem"
    .build/debug/authctl key generate --alg "$alg" --out "$key" >/dev/null
    AUTHD_JWT_ALGORITHM=$alg AUTHD_JWT_SIGNING_KEY_FILE=$key start_authd
    if ! AUTHD_URL="http://127.0.0.1:$HTTP_PORT" ALG=$alg KEY_FILE=$key \
        .venv/bin/python scripts/interop/pyjwt_keypair_check.py; then
        cat "$interop_work/authd.log" >&2
        echo "interop: PyJWT $alg checks FAILED" >&2
        exit 1
    fi
    # Rotation: a second key signs while the first is still published, then the first goes.
    next="$interop_work/signing-$alg-next.pem"
    .build/debug/authctl key generate --alg "$alg" --out "$next" >/dev/null
    old=$(AUTHD_URL="http://127.0.0.1:$HTTP_PORT" ALG=$alg .venv/bin/python scripts/interop/pyjwt_rotation_check.py issue)
    for phase in retired removed; do
        if [ "$phase" = retired ]; then export AUTHD_JWT_PREVIOUS_KEY_FILES=$key; else unset AUTHD_JWT_PREVIOUS_KEY_FILES; fi
        AUTHD_JWT_ALGORITHM=$alg AUTHD_JWT_SIGNING_KEY_FILE=$next start_authd
        if ! AUTHD_URL="http://127.0.0.1:$HTTP_PORT" ALG=$alg OLD_TOKEN=$old \
            .venv/bin/python scripts/interop/pyjwt_rotation_check.py "$phase"; then
            cat "$interop_work/authd.log" >&2
            echo "interop: PyJWT $alg rotation ($phase) FAILED" >&2
            exit 1
        fi
    done
    unset AUTHD_JWT_PREVIOUS_KEY_FILES
done
echo "interop: PyJWT EdDSA, ES256 and RS256 checks passed, rotation included"
