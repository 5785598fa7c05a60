#!/usr/bin/env bash
# Interop with PyPI Authlib as an OAuth 2 client (OAuth2Session over requests): client credentials
# with client_secret_basic and client_secret_post, introspection, revocation, and Authlib's parsing
# of each RFC 6749 error authd answers. Clients are registered with authctl; the built authd runs
# against the PostgreSQL of scripts/with-postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import authlib, requests' 2>/dev/null; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'authlib>=1.3,<2' 'requests>=2.31,<3'
fi

export AUTHD_OAUTH_SCOPES="reports:read,reports:write"
suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
secret_of() { sed -n 's/^client_secret=//p'; }
.build/debug/authctl migrate --config config/authd.yaml >/dev/null
reports_secret=$(.build/debug/authctl client create "reports$suffix" --scope reports:read --scope reports:write \
    --config config/authd.yaml 2>/dev/null | secret_of)
# A resource server: it may introspect other clients' tokens.
other_secret=$(.build/debug/authctl client create "other$suffix" --introspection --config config/authd.yaml 2>/dev/null \
    | secret_of)
refresher_secret=$(.build/debug/authctl client create "refresher$suffix" --grant refresh_token \
    --config config/authd.yaml 2>/dev/null | secret_of)
start_authd

if AUTHD_URL="http://127.0.0.1:$HTTP_PORT" SUFFIX="$suffix" REPORTS_SECRET="$reports_secret" \
    OTHER_SECRET="$other_secret" REFRESHER_SECRET="$refresher_secret" \
    .venv/bin/python scripts/interop/authlib_check.py; then
    echo "interop: Authlib checks passed"
else
    cat "$interop_work/authd.log" >&2
    echo "interop: Authlib checks FAILED" >&2
    exit 1
fi
