#!/usr/bin/env bash
# Two authd processes on one PostgreSQL: failed AUTHs spread over both lock the account on both
# (the shipped imap stack: 10 attempts per account and client address), `authctl user unlock`
# clears it for both, and a token issued by one verifies on the other.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

start_authd
http_a=$HTTP_PORT line_a=$LINE_PORT
start_authd
line_b=$LINE_PORT

user="two$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
HTTP_PORT=$http_a register "$user" "two daemons pw 1"
token=$(HTTP_PORT=$http_a login "$user" "two daemons pw 1")

ctl=.build/debug/authctl
# auth_status PORT PASSWORD: authctl's exit status (0 OK, 1 NO, 2 TEMP, 3 BAD).
auth_status() {
    local status=0
    printf '%s\n' "$2" | $ctl auth --addr "127.0.0.1:$1" --service imap --user "$user" >/dev/null 2>&1 || status=$?
    echo "$status"
}
failures=0

status=0
$ctl verify --addr "127.0.0.1:$line_b" "$token" >/dev/null || status=$?
expect 0 "$status" "a token from A verifies on B"
for i in 1 2 3 4 5; do
    expect 1 "$(auth_status "$line_a" "wrong a$i")" "wrong password on A ($i)"
    expect 1 "$(auth_status "$line_b" "wrong b$i")" "wrong password on B ($i)"
done
expect 1 "$(auth_status "$line_a" "two daemons pw 1")" "right password refused on A: locked by failures on both"
expect 1 "$(auth_status "$line_b" "two daemons pw 1")" "right password refused on B: locked by failures on both"
AUTHD_DATABASE_URL="$AUTHD_DATABASE_URL" $ctl user unlock "$user" >/dev/null
expect 0 "$(auth_status "$line_b" "two daemons pw 1")" "unlocked: B lets the user in"
expect 0 "$(auth_status "$line_a" "two daemons pw 1")" "unlocked: A lets the user in"

if [ "$failures" -ne 0 ]; then
    cat "$interop_work/authd.log" >&2
    echo "interop: two-daemon checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: two-daemon checks passed (lockout shared, unlock shared, tokens shared)"
