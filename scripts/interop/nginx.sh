#!/usr/bin/env bash
# nginx auth_request in front of a tiny upstream, with the shipped
# config/nginx/authd-auth-request.conf (ports substituted): an API location answers 200 with
# a good token (bearer or cookie) and passes the user on, 401 without or with a bad one; the
# browser location sends a browser without a token to authd's portal (302, rd= the original URL);
# the admin location answers 403 to a plain user; identity headers a client sends itself
# (X-Auth-User, X-Auth-User-Id, X-Auth-Roles) never reach the application, on any location.
# Then the portal flow in headless Chromium (scripts/interop/nginx_portal_check.py says what).
# Installs Debian's nginx when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

scripts/install-deps.sh nginx
browser_venv
# The portal at auth.authd.localhost, the application at app.authd.localhost (names under
# .localhost are loopback for curl and Chromium alike); a small attempt budget for the brute force.
NEXT_HTTP_PORT=$(free_port)
NGINX_PORT=$(free_port)
AUTHD_OAUTH_ISSUER="http://auth.authd.localhost:$NEXT_HTTP_PORT" AUTHD_OIDC_COOKIE_DOMAIN=authd.localhost \
    AUTHD_OIDC_RETURN_HOSTS=app.authd.localhost AUTHD_LIMITS_ATTEMPTS_BURST=20 \
    AUTHD_LIMITS_ATTEMPTS_PER_SECOND=0.2 start_authd
APP_PORT=$(free_port)

# The upstream answers with the user nginx passed on.
python3 - "$APP_PORT" >"$interop_work/app.log" 2>&1 <<'PY' &
import http.server, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"path={self.path} user={self.headers.get('X-Auth-User')} id={self.headers.get('X-Auth-User-Id')} roles={self.headers.get('X-Auth-Roles')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
PY
authd_pids+=($!)

sed -e "s/127.0.0.1:5000/127.0.0.1:$HTTP_PORT/" -e "s/127.0.0.1:8080/127.0.0.1:$APP_PORT/" \
    -e "s/listen 127.0.0.1:8000/listen 127.0.0.1:$NGINX_PORT/" \
    config/nginx/authd-auth-request.conf >"$interop_work/authd.conf"
mkdir -p "$interop_work/nginx"
cat >"$interop_work/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $interop_work/nginx.pid;
error_log $interop_work/nginx-error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $interop_work/nginx/body;
    proxy_temp_path $interop_work/nginx/proxy;
    fastcgi_temp_path $interop_work/nginx/fastcgi;
    uwsgi_temp_path $interop_work/nginx/uwsgi;
    scgi_temp_path $interop_work/nginx/scgi;
    include $interop_work/authd.conf;
}
CONF
nginx -t -c "$interop_work/nginx.conf" -p "$interop_work" 2>&1 | sed 's/^/nginx: /'
nginx -c "$interop_work/nginx.conf" -p "$interop_work" &
authd_pids+=($!)
for _ in $(seq 1 50); do
    (echo >"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null && (echo >"/dev/tcp/127.0.0.1/$APP_PORT") 2>/dev/null && break
    sleep 0.1
done

register ngx_alice 'nginx alice pw 1'
token=$(login ngx_alice 'nginx alice pw 1')
url="http://app.authd.localhost:$NGINX_PORT"
# expect_http WANT_STATUS WANT_BODY_SUBSTRING DESCRIPTION CURL_ARGS...
expect_http() {
    local want=$1 body=$2 what=$3 got
    shift 3
    got=$(curl -s -o "$interop_work/body" -w '%{http_code}' "$@")
    if [ "$got" = "$want" ] && grep -q -- "$body" "$interop_work/body"; then
        echo "ok: $what"
    else
        echo "FAIL: $what: HTTP $got, body: $(head -c 300 "$interop_work/body")" >&2
        failures=$((failures + 1))
    fi
}
expect_http 200 "user=ngx_alice id=[0-9]* roles=user" "a good bearer token gets through, with the user" \
    -H "Authorization: Bearer $token" "$url/api/page"
expect_http 200 "user=ngx_alice" "the access_token cookie gets through" --cookie "access_token=$token" "$url/api/page"
expect_http 401 "" "no token: 401" "$url/api/page"
expect_http 401 "" "a bad token: 401" -H "Authorization: Bearer ${token}x" "$url/api/page"
expect_http 200 "user=ngx_alice" "the browser location lets a token through too" --cookie "access_token=$token" \
    "$url/app/page"
location=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$url/app/page?a=1&b=2")
expect "302 http://auth.authd.localhost:$HTTP_PORT/ui/login?rd=http%3A%2F%2Fapp.authd.localhost%3A$NGINX_PORT%2Fapp%2Fpage%3Fa%3D1%26b%3D2" \
    "$location" "a browser without a token is sent to the portal with the original URL"
expect_http 403 "" "a plain user at the admin location: 403" -H "Authorization: Bearer $token" "$url/admin/x"
expect_http 200 "user=None" "public locations need no token" "$url/public"

# Spoofing: a client's own X-Auth-* headers are replaced on protected locations and removed on public ones.
spoof=(-H "X-Auth-User: root" -H "X-Auth-User-Id: 999999999" -H "X-Auth-Roles: admin,ops")
expect_http 200 "user=None id=None roles=None" "spoofed identity headers are removed on a public location" \
    "${spoof[@]}" "$url/public"
expect_http 200 "user=ngx_alice id=[0-9]* roles=user$" "spoofed identity headers are replaced on /app/" \
    "${spoof[@]}" -H "Authorization: Bearer $token" "$url/api/page"
printf 'nginx boss pw 1\n' | .build/debug/authctl user create ngx_boss --email ngx_boss@example.com --role admin \
    --config config/authd.yaml >/dev/null
boss=$(login ngx_boss 'nginx boss pw 1')
expect_http 200 "user=ngx_boss id=[0-9]* roles=admin$" "spoofed identity headers are replaced on /admin/" \
    "${spoof[@]}" -H "Authorization: Bearer $boss" "$url/admin/x"
expect 0 "$(grep -c 999999999 "$interop_work/body" || true)" "the spoofed user id reaches the application nowhere"

started=$(date +%s)
.venv/bin/python scripts/interop/nginx_portal_check.py "$HTTP_PORT" "$NGINX_PORT" \
    "$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')" "${OIDC_SCREENSHOTS:-$interop_work/screenshots}" \
    || failures=$((failures + 1))
echo "nginx portal flow in the browser: $(($(date +%s) - started)) s"

if [ "$failures" = 0 ]; then
    echo "interop: nginx auth_request checks passed"
else
    cat "$interop_work/nginx-error.log" >&2 || true
    echo "interop: nginx auth_request checks FAILED ($failures)" >&2
    exit 1
fi
