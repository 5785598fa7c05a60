# shellcheck shell=bash
# Shared by the interop scripts: start the built authd against scripts/with-postgres.sh's database
# on free ports, and stop it on exit. Source it, then call start_authd.
: "${AUTHD_DATABASE_URL:?run through scripts/with-postgres.sh}"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

interop_work=$(mktemp -d)
SECRET_FILE="$interop_work/secret"
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$SECRET_FILE"
authd_pids=()
# Servers a script started besides authd (start_postfix) and their directories, removed with it.
server_pids=()
server_dirs=()
stop_authd() {
    for pid in "${server_pids[@]}" "${authd_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$interop_work" "${server_dirs[@]}"
}
trap stop_authd EXIT

# Starts one more authd (all share the secret and the database): the debug build, or $AUTHD_BIN.
# Sets HTTP_PORT and LINE_PORT (NEXT_HTTP_PORT and NEXT_LINE_PORT when a script chose them, e.g.
# for oauth.issuer or to restart on the same ports); the
# logs are in $interop_work/authd.log. These scripts register
# many accounts from one address and fail many logins on one account, so the per-address
# registration limit and the per-account failure limit are off unless a script sets
# AUTHD_LIMITS_REGISTER_BURST or AUTHD_LIMITS_ACCOUNT_FAILURES_BURST (both limits are tested in
# the Swift suites).
start_authd() {
    HTTP_PORT=${NEXT_HTTP_PORT:-$(free_port)}
    LINE_PORT=${NEXT_LINE_PORT:-$(free_port)}
    unset NEXT_HTTP_PORT NEXT_LINE_PORT
    AUTHD_LIMITS_REGISTER_BURST=${AUTHD_LIMITS_REGISTER_BURST:-0} \
        AUTHD_LIMITS_ACCOUNT_FAILURES_BURST=${AUTHD_LIMITS_ACCOUNT_FAILURES_BURST:-0} \
    AUTHD_JWT_SECRET_FILE="$SECRET_FILE" AUTHD_HTTP_ADDR="127.0.0.1:$HTTP_PORT" \
        AUTHD_LINE_ADDR="127.0.0.1:$LINE_PORT" AUTHD_PASSWORD_SCRYPT_LN=${AUTHD_PASSWORD_SCRYPT_LN:-12} \
        "${AUTHD_BIN:-.build/debug/authd}" --config config/authd.yaml >>"$interop_work/authd.log" 2>&1 &
    authd_pids+=($!)
    for _ in $(seq 1 150); do
        (echo > "/dev/tcp/127.0.0.1/$LINE_PORT") 2>/dev/null && (echo > "/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "authd did not start:" >&2
    cat "$interop_work/authd.log" >&2
    return 1
}

# start_postfix SASL_PATH [MAIN_CF_LINES]: Debian's Postfix (root only) on a private configuration under
# $interop_work, smtpd on SMTP_PORT (loopback; NEXT_SMTP_PORT when the script chose it) authenticating with smtpd_sasl_type = dovecot at
# SASL_PATH (inet:host:port), relaying only for authenticated clients. Its log is
# $POSTFIX_DIR/maillog.
start_postfix() {
    local dir
    dir=$(mktemp -d)
    chmod 755 "$dir" # Postfix's own user works in data/
    server_dirs+=("$dir")
    export POSTFIX_DIR=$dir
    SMTP_PORT=${NEXT_SMTP_PORT:-$(free_port)}
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
    chown postfix "$dir/data"
    # Debian's master.cf, with smtpd on our port and nothing chrooted (the queue is not populated).
    sed -e "s|^smtp      inet  n       -       y|127.0.0.1:$SMTP_PORT inet n - n|" \
        -e 's/^\([a-z]*[[:space:]]\+\(unix\|fifo\|unix-dgram\)[[:space:]]\+[-yn][[:space:]]\+[-yn][[:space:]]\+\)y/\1n/' \
        /etc/postfix/master.cf > "$dir/etc/master.cf"
    cat > "$dir/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = authd-test.localdomain
mydestination =
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $1
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated, reject
${2:-}
CONF
    postfix -c "$dir/etc" start-fg >>"$dir/postfix.out" 2>&1 &
    server_pids+=($!)
    for _ in $(seq 1 100); do
        (echo > "/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "Postfix did not start:" >&2
    cat "$dir/postfix.out" "$dir/maillog" >&2
    return 1
}

# queue_mail PREFIX COUNT: COUNT messages straight into the outbox in one INSERT, to
# PREFIX-1@example.com … PREFIX-COUNT@example.com, from no-reply@authd.test, each with its own
# Message-ID (PREFIX-N@authd.test).
queue_mail() {
    "$AUTHD_PG_BINDIR/psql" -q -v ON_ERROR_STOP=1 "$AUTHD_DATABASE_URL" -c "
        INSERT INTO outbox (kind, payload)
        SELECT 'mail', json_build_object('date', extract(epoch FROM now())::bigint,
            'from', json_build_object('address', 'no-reply@authd.test', 'name', 'authd'),
            'messageID', '$1-' || n || '@authd.test', 'subject', '$1 ' || n, 'text', '$1 ' || n || E'\\n',
            'html', '<p>$1 ' || n || '</p>', 'to', json_build_object('address', '$1-' || n || '@example.com'))
        FROM generate_series(1, $2) AS n"
}

# smtp_auth USER PASSWORD: AUTH PLAIN at SMTP_PORT with Python's smtplib, from $SOURCE (a loopback
# address, 127.0.0.1 by default); prints OK, NO (535) or TEMP (454), or the error.
smtp_auth() {
    python3 - "$SMTP_PORT" "$1" "$2" "${SOURCE:-127.0.0.1}" <<'PY'
import smtplib, sys
port, user, password, source = sys.argv[1:]
try:
    with smtplib.SMTP("127.0.0.1", int(port), timeout=20, source_address=(source, 0)) as smtp:
        smtp.ehlo("client.example")
        code, _ = smtp.docmd("AUTH", "PLAIN " + __import__("base64").b64encode(f"\0{user}\0{password}".encode()).decode())
        print({235: "OK", 535: "NO", 454: "TEMP"}.get(code, f"SMTP {code}"))
except Exception as error:
    print(type(error).__name__)
PY
}

# browser_venv: .venv with PyPI selenium, Authlib, Flask, pyotp and requests for the browser
# checks (scripts/interop/browser.py; Debian's chromium and chromium-driver come from install-deps).
browser_venv() {
    if ! .venv/bin/python -c 'import authlib, flask, selenium, pyotp, requests' 2>/dev/null; then
        [ -x .venv/bin/python ] || python3 -m venv .venv
        .venv/bin/pip install --quiet --disable-pip-version-check 'authlib>=1.3,<2' 'flask>=3,<4' \
            'selenium>=4.20,<5' 'pyotp>=2.9,<3' 'requests>=2.31,<3'
    fi
}

# oidc_provider: what the OpenID Connect scripts share before starting authd: the browser's venv,
# the schema, an RS256 ID-token key, and the scopes openid, profile and email.
oidc_provider() {
    browser_venv
    authctl=(.build/debug/authctl)
    "${authctl[@]}" migrate --config config/authd.yaml >/dev/null
    "${authctl[@]}" key generate --alg RS256 --out "$interop_work/id-token.pem" >/dev/null
    export AUTHD_OIDC_ID_TOKEN_KEY_FILE="$interop_work/id-token.pem" AUTHD_OAUTH_SCOPES="openid,profile,email"
}

# register USER PASSWORD: creates the user over HTTP.
register() {
    python3 - "$HTTP_PORT" "$1" "$2" <<'PY'
import json, sys, urllib.request
port, user, password = sys.argv[1:]
body = json.dumps({"username": user, "email": user + "@example.com", "password": password}).encode()
request = urllib.request.Request(f"http://127.0.0.1:{port}/register", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
assert urllib.request.urlopen(request, timeout=10).status == 201
PY
}

# totp_account USER PASSWORD: registers USER over HTTP with TOTP enrolled (confirmed with
# oathtool's current code, so install-deps oathtool first); prints the base32 secret.
totp_account() {
    AUTHD_URL="http://127.0.0.1:$HTTP_PORT" PYTHONPATH=scripts/interop python3 - "$1" "$2" <<'PY'
import subprocess, sys
from authd_client import call
name, password = sys.argv[1:]
assert call("POST", "/register", {"username": name, "email": f"{name}@example.com", "password": password})[0] == 201
token = call("POST", "/login", {"username": name, "password": password})[1]["access_token"]
secret = call("POST", "/mfa/totp/setup", {}, token)[1]["secret"]
code = subprocess.run(["oathtool", "--totp", "-b", secret], check=True, capture_output=True, text=True).stdout.strip()
assert call("POST", "/mfa/totp/confirm", {"code": code}, token)[0] == 200
print(secret)
PY
}

# next_totp SECRET: oathtool's code for the next 30-second step (the current one was spent).
next_totp() { oathtool --totp -b -N "$(date -u -d @$(($(date +%s) + 30)) '+%Y-%m-%d %H:%M:%S UTC')" "$1"; }

# login USER PASSWORD: prints an access token.
login() {
    python3 - "$HTTP_PORT" "$1" "$2" <<'PY'
import json, sys, urllib.request
port, user, password = sys.argv[1:]
body = json.dumps({"username": user, "password": password}).encode()
request = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request, timeout=10))["access_token"])
PY
}

# The private cluster of scripts/with-postgres.sh, stopped and started again (fault tests).
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stop() { as_owner "$AUTHD_PG_BINDIR/pg_ctl" -D "$AUTHD_PG_DATA" -m fast -w stop >/dev/null; }
pg_start() {
    as_owner "$AUTHD_PG_BINDIR/pg_ctl" -D "$AUTHD_PG_DATA" -l "$AUTHD_PG_SOCKET_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $AUTHD_PG_PORT -k $AUTHD_PG_SOCKET_DIR -c fsync=off -c max_connections=300" start >/dev/null
}

# wait_for_log TEXT SECONDS: waits until authd's log holds TEXT (fixed string); status 1 when
# it does not within SECONDS.
wait_for_log() {
    local tries=$(($2 * 10))
    for _ in $(seq 1 "$tries"); do
        grep -qF -- "$1" "$interop_work/authd.log" && return 0
        sleep 0.1
    done
    return 1
}

failures=0
# expect WANT GOT DESCRIPTION: counts a failure in $failures when GOT differs from WANT.
expect() {
    if [ "$1" = "$2" ]; then echo "ok: $3${TIMESTAMPS:+ ($(date +%T))}"; else echo "FAIL: $3: got $2, want $1" >&2; failures=$((failures + 1)); fi
}
# expect_status WANT DESCRIPTION COMMAND...: counts a failure in $failures when the exit status differs.
expect_status() {
    local want=$1 what=$2 got=0
    shift 2
    "$@" >/dev/null 2>&1 || got=$?
    if [ "$got" = "$want" ]; then echo "ok: $what"; else echo "FAIL: $what: exit $got, want $want" >&2; failures=$((failures + 1)); fi
}
