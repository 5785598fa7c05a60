#!/usr/bin/env bash
# docs/openapi.yaml against a live authd with real PostgreSQL: PyPI schemathesis (into .venv)
# runs every check with an admin's bearer token (a fresh one, see openapi_hooks.py). Zero 5xx, zero schema violations, or it fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

if [ ! -x .venv/bin/schemathesis ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'schemathesis>=4.32,<5'
fi

head -c 48 /dev/urandom | base64 | tr -d '\n' >"$interop_work/mfa-key"
export AUTHD_MFA_KEY_FILE="$interop_work/mfa-key" AUTHD_LIMITS_ATTEMPTS_BURST=0
# An OpenID provider, so discovery, userinfo and ID tokens are served and checked too.
.build/debug/authctl key generate --alg RS256 --out "$interop_work/id-token.pem" >/dev/null
export AUTHD_OIDC_ID_TOKEN_KEY_FILE="$interop_work/id-token.pem" AUTHD_OAUTH_SCOPES="openid,profile,email"
# Mail through /bin/true, so password reset is on (sendmail that takes everything).
export AUTHD_MAIL_TRANSPORT=sendmail AUTHD_MAIL_SENDMAIL_COMMAND=/bin/true AUTHD_MAIL_FROM=no-reply@authd.test
export AUTHD_MAIL_SIGN_IN_BY_EMAIL=true
export AUTHD_NGINX_MAIL_BACKENDS="imap=127.0.0.1:143,pop3=127.0.0.1:110,smtp=127.0.0.1:25"
suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
.build/debug/authctl migrate --config config/authd.yaml >/dev/null
printf 'openapi admin pw 1\n' | .build/debug/authctl user create "oa$suffix" --email "oa$suffix@example.com" \
    --role admin --config config/authd.yaml >/dev/null
start_authd

status=0
OPENAPI_URL="http://127.0.0.1:$HTTP_PORT" OPENAPI_ADMIN="oa$suffix" OPENAPI_PASSWORD='openapi admin pw 1' \
    SCHEMATHESIS_HOOKS=scripts/interop/openapi_hooks.py \
    .venv/bin/schemathesis --config-file scripts/interop/schemathesis.toml run docs/openapi.yaml \
    --url "http://127.0.0.1:$HTTP_PORT" --checks all \
    --max-examples "${OPENAPI_MAX_EXAMPLES:-25}" --workers 1 --seed "${OPENAPI_SEED:-1}" \
    --no-color || status=$?
if [ "$status" = 0 ]; then
    echo "interop: schemathesis found no failures against docs/openapi.yaml"
else
    # authd's own lines (not the per-request ones answered 2xx-4xx): errors, warnings, 5xx.
    { grep -v '"status":"[2-4][0-9][0-9]"' "$interop_work/authd.log" || true; } | tail -n 20 >&2
    echo "interop: schemathesis FAILED (exit $status)" >&2
    exit 1
fi
