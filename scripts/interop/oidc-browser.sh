#!/usr/bin/env bash
# OpenID Connect sign-in in a real browser (README, "OpenID Connect"): Debian's chromium driven
# headless by PyPI selenium through chromium-driver, two relying parties written with PyPI
# Authlib's Flask client (scripts/interop/oidc_rp.py, which validates the ID token through
# discovery and the JWK Set), a device client (Authlib's OAuth2Session polling the device grant),
# two authd instances on one database. scripts/interop/oidc_browser_check.py
# says what is checked. Screenshots of the pages land in $OIDC_SCREENSHOTS (default: a temporary
# directory; docs/screenshots holds the ones the README shows).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

oidc_provider
# Clients' access tokens are RFC 9068's: the issuer URL, RS256 by the ID-token key (the device step
# verifies one with the JWK Set, as a resource server would).
export AUTHD_OAUTH_ACCESS_TOKEN_FORMAT=rfc9068
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$interop_work/mfa-key"
export AUTHD_MFA_KEY_FILE="$interop_work/mfa-key"

# Instance A is the provider the relying parties know (its URL is oauth.issuer); B shares the
# database and is where the user logs out everywhere.
NEXT_HTTP_PORT=$(free_port)
export AUTHD_OAUTH_ISSUER="http://127.0.0.1:$NEXT_HTTP_PORT"
start_authd
issuer_port=$HTTP_PORT
start_authd
other_port=$HTTP_PORT

suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
rp_pids=()
rp_ports=()
for n in 1 2; do
    port=$(free_port)
    secret=$("${authctl[@]}" client create "rp$n-$suffix" --name "Relying party $n" --grant authorization_code \
        --scope openid --scope profile --scope email --redirect-uri "http://127.0.0.1:$port/callback" --redirect-uri "http://127.0.0.1:$port/" \
        --config config/authd.yaml | sed -n 's/^client_secret=//p')
    .venv/bin/python scripts/interop/oidc_rp.py "$port" "$AUTHD_OAUTH_ISSUER" "rp$n-$suffix" "$secret" \
        >>"$interop_work/rp.log" 2>&1 &
    rp_pids+=($!)
    rp_ports+=("$port")
done
# A television's client: public, the device grant (RFC 8628) and refresh, driven by Authlib's
# OAuth2Session with DPoP proofs (RFC 9449) of its own key.
"${authctl[@]}" client create "tv-$suffix" --name "Living room TV" --public \
    --grant urn:ietf:params:oauth:grant-type:device_code --grant refresh_token --scope openid --scope profile \
    --config config/authd.yaml >/dev/null
trap 'kill "${rp_pids[@]}" 2>/dev/null || true; stop_authd' EXIT
for port in "${rp_ports[@]}"; do
    for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
done

started=$(date +%s)
if ! .venv/bin/python scripts/interop/oidc_browser_check.py "$issuer_port" "$other_port" "${rp_ports[0]}" \
    "${rp_ports[1]}" "$suffix" "${OIDC_SCREENSHOTS:-$interop_work/screenshots}"; then
    cat "$interop_work/authd.log" "$interop_work/rp.log" >&2 || true
    echo "interop: OIDC browser checks FAILED" >&2
    exit 1
fi
echo "interop: OIDC browser checks passed ($(($(date +%s) - started)) s in the browser)"
