#!/usr/bin/env bash
# The README's admin walk-through against real processes: bootstrap an admin with authctl (straight
# to PostgreSQL), log in over HTTP and list users through the admin API; then authctl's user and
# role commands, their effect on tokens over the line protocol, and their exit codes.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
export AUTHD_PASSWORD_SCRYPT_LN=12 AUTHD_OAUTH_SCOPES=reports:read
ctl=(.build/debug/authctl)
db=(--config config/authd.yaml)
suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
boss="boss$suffix"
worker="worker$suffix"
role="auditor$suffix"

expect_status 0 "migrate" "${ctl[@]}" migrate "${db[@]}"
expect_status 0 "user create --role admin (password on stdin)" \
    bash -c "printf 'admin password 1\n' | ${ctl[*]} user create $boss --email $boss@example.com --role admin ${db[*]}"
start_authd
token=$(login "$boss" "admin password 1")

# GET PATH TOKEN: prints the JSON body of an authenticated GET.
get() {
    python3 - "$HTTP_PORT" "$1" "$2" <<'PY'
import sys, urllib.request
port, path, token = sys.argv[1:]
request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
print(urllib.request.urlopen(request, timeout=10).read().decode())
PY
}
check() { # check DESCRIPTION PYTHON-EXPRESSION-ON-data < JSON
    if python3 -c "import json, sys; data = json.load(sys.stdin); sys.exit(0 if ($2) else 1)"; then
        echo "ok: $1"
    else
        echo "FAIL: $1" >&2
        failures=$((failures + 1))
    fi
}

get "/admin/users?prefix=$boss" "$token" | check "the admin lists users over HTTP" \
    "[u['username'] for u in data['users']] == ['$boss'] and data['users'][0]['roles'] == ['admin']"
"${ctl[@]}" user list --json --prefix "$boss" "${db[@]}" | check "user list --json" \
    "len(data) == 1 and data[0]['roles'] == ['admin']"
if "${ctl[@]}" user list --prefix "$boss" "${db[@]}" | head -1 | grep -q '^ID  *USERNAME'; then
    echo "ok: user list prints a table"
else
    echo "FAIL: user list table" >&2
    failures=$((failures + 1))
fi

register "$worker" "worker password 1"
expect_status 1 "set-role to a role that does not exist" "${ctl[@]}" user set-role "$worker" user "$role" "${db[@]}"
expect_status 0 "role create with a permission" "${ctl[@]}" role create "$role" --permission reports:read "${db[@]}"
old=$(login "$worker" "worker password 1")
expect_status 0 "set-role" "${ctl[@]}" user set-role "$worker" user "$role" "${db[@]}"
new=$(login "$worker" "worker password 1")
addr=(--addr "127.0.0.1:$LINE_PORT")
expect_status 1 "the token from before the role change is refused" "${ctl[@]}" verify "${addr[@]}" "$old"
expect_status 0 "the new token has the role" "${ctl[@]}" has-role "${addr[@]}" "$new" "$role"
expect_status 0 "and its permission" "${ctl[@]}" has-perm "${addr[@]}" "$new" reports:read
expect_status 0 "role revoke" "${ctl[@]}" role revoke "$role" reports:read "${db[@]}"
expect_status 1 "the permission is gone at once" "${ctl[@]}" has-perm "${addr[@]}" "$new" reports:read
expect_status 0 "user disable" "${ctl[@]}" user disable "$worker" "${db[@]}"
expect_status 1 "a disabled account's token is refused" "${ctl[@]}" verify "${addr[@]}" "$new"
expect_status 0 "user enable" "${ctl[@]}" user enable "$worker" "${db[@]}"
expect_status 0 "user set-email" "${ctl[@]}" user set-email "$worker" "moved-$worker@example.com" "${db[@]}"
"${ctl[@]}" user show --json "$worker" "${db[@]}" | check "the new address, unverified" \
    "data[0]['email'] == 'moved-$worker@example.com' and data[0]['email_verified'] is False"
expect_status 0 "user verify-email" "${ctl[@]}" user verify-email "$worker" "${db[@]}"
"${ctl[@]}" user show --json "$worker" "${db[@]}" | check "vouched for" "data[0]['email_verified'] is True"
expect_status 3 "user set-email with a malformed address" "${ctl[@]}" user set-email "$worker" "not an address" "${db[@]}"
expect_status 1 "role delete while held" "${ctl[@]}" role delete "$role" "${db[@]}"
expect_status 1 "role delete of a built-in role" "${ctl[@]}" role delete admin "${db[@]}"
expect_status 1 "user show of an unknown user" "${ctl[@]}" user show "nobody$suffix" "${db[@]}"
expect_status 3 "set-role with a malformed role name" "${ctl[@]}" user set-role "$worker" 'Bad Role' "${db[@]}"
expect_status 3 "user create with a common password" \
    bash -c "printf 'password\n' | ${ctl[*]} user create x$suffix --email x$suffix@example.com ${db[*]}"
expect_status 0 "user delete" "${ctl[@]}" user delete "$worker" "${db[@]}"

# OAuth clients: authctl client … on the database, the token endpoint over HTTP.
client_token() { # client_token ID SECRET: prints "STATUS ACCESS_TOKEN-or-ERROR"
    python3 - "$HTTP_PORT" "$1" "$2" <<'PY'
import base64, json, sys, urllib.error, urllib.request
port, client, secret = sys.argv[1:]
basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/oauth2/token", data=b"grant_type=client_credentials",
    headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
try:
    body = json.load(urllib.request.urlopen(request, timeout=10))
    print(200, body["access_token"])
except urllib.error.HTTPError as error:
    print(error.code, json.load(error)["error"])
PY
}
svc="svc$suffix"
created=$("${ctl[@]}" client create "$svc" --scope reports:read --role user "${db[@]}")
secret=$(sed -n 's/^client_secret=//p' <<<"$created")
if [ "${#secret}" = 43 ]; then
    echo "ok: client create prints the secret once"
else
    echo "FAIL: client create printed no secret" >&2
    failures=$((failures + 1))
fi
expect_status 1 "client create of a taken id" "${ctl[@]}" client create "$svc" "${db[@]}"
expect_status 3 "client create with a malformed id" "${ctl[@]}" client create 'Bad Id' "${db[@]}"
expect_status 3 "client create with a scope outside oauth.scopes" \
    "${ctl[@]}" client create "x$svc" --scope nope "${db[@]}"
expect_status 3 "client create with an unknown grant" "${ctl[@]}" client create "x$svc" --grant password "${db[@]}"
read -r code ctoken < <(client_token "$svc" "$secret")
if [ "$code" = 200 ]; then
    echo "ok: the client gets a token"
else
    echo "FAIL: token: $code $ctoken" >&2
    failures=$((failures + 1))
fi
expect_status 0 "its token verifies over the line protocol" "${ctl[@]}" verify "${addr[@]}" "$ctoken"
expect_status 0 "and carries the client's role" "${ctl[@]}" has-role "${addr[@]}" "$ctoken" user
"${ctl[@]}" client show "$svc" --json "${db[@]}" | check "client show --json, without a secret" \
    "data[0]['client_id'] == '$svc' and data[0]['scopes'] == ['reports:read'] and 'client_secret' not in data[0]"
rotated=$("${ctl[@]}" client rotate-secret "$svc" "${db[@]}" | sed -n 's/^client_secret=//p')
read -r code _ < <(client_token "$svc" "$secret")
if [ "$code" = 401 ]; then
    echo "ok: the old secret is refused after rotate-secret"
else
    echo "FAIL: old secret got $code" >&2
    failures=$((failures + 1))
fi
expect_status 1 "the token the old secret got is cut off" "${ctl[@]}" verify "${addr[@]}" "$ctoken"
read -r code _ < <(client_token "$svc" "$rotated")
if [ "$code" = 200 ]; then
    echo "ok: the new secret works"
else
    echo "FAIL: new secret got $code" >&2
    failures=$((failures + 1))
fi
expect_status 0 "client disable" "${ctl[@]}" client disable "$svc" "${db[@]}"
read -r code _ < <(client_token "$svc" "$rotated")
if [ "$code" = 401 ]; then
    echo "ok: a disabled client is refused"
else
    echo "FAIL: disabled got $code" >&2
    failures=$((failures + 1))
fi
expect_status 0 "client delete" "${ctl[@]}" client delete "$svc" "${db[@]}"
expect_status 1 "client show of a deleted client" "${ctl[@]}" client show "$svc" "${db[@]}"

get "/admin/audit?limit=200" "$token" | check "authctl's changes are in the audit trail" \
    "{(e['action'], e['source']) for e in data['entries'] if e['actor'].startswith('authctl:')} >= {('user.create', 'local'), ('user.delete', 'local'), ('role.create', 'local'), ('client.create', 'local'), ('client.rotate_secret', 'local'), ('client.delete', 'local')}"

if [ "$failures" -ne 0 ]; then
    cat "$interop_work/authd.log" >&2
    echo "interop: admin walk-through FAILED ($failures)" >&2
    exit 1
fi
echo "interop: admin walk-through passed"
