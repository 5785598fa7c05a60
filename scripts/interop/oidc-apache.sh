#!/usr/bin/env bash
# Apache httpd with mod_auth_openidc (Debian's apache2 and libapache2-mod-auth-openidc) as a real
# relying party of authd (README, "Apache with mod_auth_openidc"): one Apache on loopback with two
# virtual hosts, each protecting a page with its own client; headless Chromium (selenium) signs in
# through authd's portal. scripts/interop/oidc_apache_check.py says what is checked.
#   A: the code flow with PKCE, the code in the query, refresh (access tokens live 900 s and are
#      refreshed when less than 898 s are left: at the next request but one), back-channel logout.
#   B: response_mode=form_post, front-channel logout.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

oidc_provider
NEXT_HTTP_PORT=$(free_port)
export AUTHD_OAUTH_ISSUER="http://127.0.0.1:$NEXT_HTTP_PORT"
start_authd

suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
web=$(mktemp -d)
server_dirs+=("$web")
chmod 755 "$web"
mkdir -p "$web/www/protected"
# The page shows what mod_auth_openidc passes on: REMOTE_USER (OIDCRemoteUserClaim), the claims and
# the access token.
cat > "$web/www/protected/index.shtml" <<'PAGE'
<!DOCTYPE html>
<html><head><title>Protected by mod_auth_openidc</title></head><body>
<p>user: <span id="who"><!--#echo var="REMOTE_USER" --></span></p>
<p>email: <span id="email"><!--#echo var="OIDC_CLAIM_email" --></span></p>
<p>sid: <span id="sid"><!--#echo var="OIDC_CLAIM_sid" --></span></p>
<p>access token: <span id="at"><!--#echo var="OIDC_access_token" --></span></p>
</body></html>
PAGE

port_a=$(free_port)
port_b=$(free_port)
client() { # client ID PORT [OPTIONS...]: registers a first-party client of the vhost on PORT; prints its secret
    local id=$1 port=$2
    shift 2
    "${authctl[@]}" client create "$id" --name "Apache $id" --grant authorization_code --grant refresh_token \
        --scope openid --scope profile --scope email --skip-consent \
        --redirect-uri "http://127.0.0.1:$port/protected/redirect_uri" "$@" --config config/authd.yaml \
        | sed -n 's/^client_secret=//p'
}
secret_a=$(client "apache-a-$suffix" "$port_a" \
    --backchannel-logout-uri "http://127.0.0.1:$port_a/protected/redirect_uri?logout=backchannel")
secret_b=$(client "apache-b-$suffix" "$port_b" \
    --frontchannel-logout-uri "http://127.0.0.1:$port_b/protected/redirect_uri?logout=get")

vhost() { # vhost PORT CLIENT SECRET [DIRECTIVES...]
    local port=$1 id=$2 secret=$3
    shift 3
    cat <<VHOST
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    ServerName 127.0.0.1
    DocumentRoot "$web/www"
    OIDCProviderMetadataURL $AUTHD_OAUTH_ISSUER/.well-known/openid-configuration
    OIDCClientID $id
    OIDCClientSecret $secret
    OIDCRedirectURI http://127.0.0.1:$port/protected/redirect_uri
    OIDCCryptoPassphrase $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    OIDCScope "openid profile email"
    OIDCRemoteUserClaim preferred_username
    OIDCPKCEMethod S256
    OIDCPassClaimsAs environment
    OIDCCookie mod_auth_openidc_session_$port
    OIDCStateCookiePrefix mod_auth_openidc_state_${port}_
$(printf '    %s\n' "$@")
    <Location "/protected">
        AuthType openid-connect
        Require valid-user
        Options +Includes
    </Location>
</VirtualHost>
VHOST
}
modules=/usr/lib/apache2/modules
{
    cat <<CONF
ServerRoot "$web"
DefaultRuntimeDir "$web"
PidFile "$web/httpd.pid"
ServerName 127.0.0.1
User www-data
Group www-data
ErrorLog "$web/error.log"
LogLevel warn auth_openidc:info
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authz_user_module $modules/mod_authz_user.so
LoadModule authn_core_module $modules/mod_authn_core.so
LoadModule mime_module $modules/mod_mime.so
LoadModule include_module $modules/mod_include.so
LoadModule auth_openidc_module $modules/mod_auth_openidc.so
TypesConfig /etc/mime.types
AddType text/html .shtml
AddOutputFilter INCLUDES .shtml
CONF
    vhost "$port_a" "apache-a-$suffix" "$secret_a" "OIDCRefreshAccessTokenBeforeExpiry 898"
    vhost "$port_b" "apache-b-$suffix" "$secret_b" "OIDCResponseMode form_post"
} > "$web/httpd.conf"
/usr/sbin/apache2 -f "$web/httpd.conf" -DFOREGROUND >>"$web/apache.out" 2>&1 &
server_pids+=($!)
for port in "$port_a" "$port_b"; do
    for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
done

started=$(date +%s)
if ! .venv/bin/python scripts/interop/oidc_apache_check.py "$HTTP_PORT" "$port_a" "$port_b" "$suffix" \
    "${OIDC_SCREENSHOTS:-$interop_work/screenshots}"; then
    cat "$interop_work/authd.log" "$web/error.log" "$web/apache.out" >&2 || true
    echo "interop: mod_auth_openidc checks FAILED" >&2
    exit 1
fi
echo "interop: mod_auth_openidc checks passed ($(($(date +%s) - started)) s in the browser)"
