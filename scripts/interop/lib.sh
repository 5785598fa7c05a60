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
stop_authd() {
    for pid in "${authd_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$interop_work"
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

# browser_venv: .venv with PyPI selenium, Authlib, Flask, pyotp and requests for the browser
# checks (scripts/interop/browser.py; Debian's chromium and chromium-driver come from install-deps).
browser_venv() {
    if ! .venv/bin/python -c 'import authlib, flask, selenium, pyotp, requests' 2>/dev/null; then
        [ -x .venv/bin/python ] || python3 -m venv .venv
        .venv/bin/pip install --quiet --disable-pip-version-check 'authlib>=1.3,<2' 'flask>=3,<4' \
            'selenium>=4.20,<5' 'pyotp>=2.9,<3' 'requests>=2.31,<3'
    fi
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

failures=0
# expect WANT GOT DESCRIPTION: counts a failure in $failures when GOT differs from WANT.
expect() {
    if [ "$1" = "$2" ]; then echo "ok: $3"; else echo "FAIL: $3: got $2, want $1" >&2; failures=$((failures + 1)); fi
}
# expect_status WANT DESCRIPTION COMMAND...: counts a failure in $failures when the exit status differs.
expect_status() {
    local want=$1 what=$2 got=0
    shift 2
    "$@" >/dev/null 2>&1 || got=$?
    if [ "$got" = "$want" ]; then echo "ok: $what"; else echo "FAIL: $what: exit $got, want $want" >&2; failures=$((failures + 1)); fi
}
