#!/usr/bin/env bash
# Interop for TOTP: codes from Debian's oathtool and from PyPI's pyotp are accepted by a running
# authd, the otpauth:// URI it hands out parses in pyotp, and the line protocol's AUTH takes otp=
# (the shipped ssh stack wants a code from enrolled users). Runs the built authd against the
# PostgreSQL of scripts/with-postgres.sh; pyotp and qrcode come
# from PyPI into .venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

scripts/install-deps.sh oathtool
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pyotp, qrcode' 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'pyotp>=2.9,<3' 'qrcode>=7.4,<9'
fi

head -c 48 /dev/urandom | base64 | tr -d '\n' > "$interop_work/mfa-key"
export AUTHD_MFA_KEY_FILE="$interop_work/mfa-key"
start_authd
if AUTHD_URL="http://127.0.0.1:$HTTP_PORT" AUTHD_LINE="127.0.0.1:$LINE_PORT" \
    .venv/bin/python scripts/interop/totp_check.py; then
    echo "interop: TOTP checks passed (oathtool, pyotp, otpauth URI, AUTH otp=)"
else
    cat "$interop_work/authd.log" >&2
    echo "interop: TOTP checks FAILED" >&2
    exit 1
fi
