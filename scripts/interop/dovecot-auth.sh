#!/usr/bin/env bash
# authd's own Dovecot-protocol listener (dovecot_auth.addr), no Dovecot at all: a client written
# from Dovecot's protocol description (dovecot_auth_check.py: handshake, PLAIN, LOGIN, XOAUTH2,
# OAUTHBEARER, the lockout by rip=, protocol violations), then Debian's Postfix with
# smtpd_sasl_type = dovecot pointing straight at authd (root only).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
dovecot_port=$(free_port)
export AUTHD_DOVECOT_AUTH_ADDR="127.0.0.1:$dovecot_port"
# The stacks a request may name: smtp, and one without a stack file for the temporary failure below.
export AUTHD_DOVECOT_AUTH_SERVICES="smtp,nostack"
start_authd

user="da$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "smtp password 1"
token=$(login "$user" "smtp password 1")
if python3 scripts/interop/dovecot_auth_check.py "$dovecot_port" "$user" "smtp password 1" "$token"; then
    echo "ok: the protocol checks"
else
    failures=$((failures + 1))
fi
if grep -q '"message":"dovecot auth: closing a connection: line too long"' "$interop_work/authd.log"; then
    echo "ok: protocol violations are logged"
else
    echo "FAIL: no log line for the over-long line" >&2
    failures=$((failures + 1))
fi

if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null; then
    start_postfix "inet:127.0.0.1:$dovecot_port"
    second="$user-smtp"
    register "$second" "smtp password 2"
    expect OK "$(smtp_auth "$second" "smtp password 2")" "Postfix AUTH PLAIN straight to authd, right password"
    expect NO "$(SOURCE=127.0.0.5 smtp_auth "$second" "wrong password")" "Postfix AUTH PLAIN straight to authd, wrong password"
    expect NO "$(smtp_auth "nobody-$second" "smtp password 2")" "Postfix AUTH PLAIN straight to authd, unknown user"
    expect "127.0.0.5 1" "$(psql "$AUTHD_DATABASE_URL" -tA -F ' ' -c "SELECT source, failures FROM login_failures WHERE username = '$second'")" \
        "the failure counted under the SMTP client's address (Postfix's rip=)"
else
    echo "skip: Postfix needs root and Debian's postfix"
fi

if [ "$failures" -ne 0 ]; then
    [ -n "${POSTFIX_DIR:-}" ] && tail -n 30 "$POSTFIX_DIR/maillog" >&2
    grep -v '"route"' "$interop_work/authd.log" | tail -n 30 >&2
    echo "interop: Dovecot-protocol checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: Dovecot-protocol checks passed"
