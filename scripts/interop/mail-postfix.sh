#!/usr/bin/env bash
# Mail through a real Postfix (Debian's, root only) on loopback: authd's SMTP client signs in to
# Postfix with AUTH PLAIN as an authd account, which Postfix checks against authd itself
# (smtpd_sasl_type = dovecot at authd's dovecot_auth listener); Postfix delivers to a local
# mailbox (its virtual agent, one mbox file). The messages as they land there: headers
# (Message-ID, Date, From, Auto-Submitted), both parts, and a password reset carried out with the
# token of the delivered message.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
if [ "$(id -u)" != 0 ] || ! command -v postfix >/dev/null; then
    echo "skip: Postfix needs root and Debian's postfix"
    exit 0
fi
dovecot_port=$(free_port)
boxes=$(mktemp -d)
server_dirs+=("$boxes")
chown 65534:65534 "$boxes"
mailer="mailer$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'mailer password 1\n' >"$interop_work/relay-pw"
export AUTHD_DOVECOT_AUTH_ADDR="127.0.0.1:$dovecot_port" AUTHD_DOVECOT_AUTH_SERVICES="smtp"
export AUTHD_MAIL_TRANSPORT=smtp AUTHD_MAIL_FROM="no-reply@authd.test" AUTHD_MAIL_SMTP_HOST=127.0.0.1
NEXT_SMTP_PORT=$(free_port)
export AUTHD_MAIL_SMTP_PORT="$NEXT_SMTP_PORT" AUTHD_MAIL_SMTP_SECURITY=none AUTHD_MAIL_HELO_NAME=authd.test
export AUTHD_MAIL_SMTP_USERNAME="$mailer" AUTHD_MAIL_SMTP_PASSWORD_FILE="$interop_work/relay-pw"
export AUTHD_MAIL_TIMEOUT_SECONDS=5 AUTHD_MAIL_RETRY_FIRST_SECONDS=1 AUTHD_MAIL_RETRY_MAX_SECONDS=1
# authd first: Postfix's smtpd asks authd's SASL listener from its first connection (one that
# finds nothing there ends the process, and Postfix's master holds the service back a minute).
start_authd
start_postfix "inet:127.0.0.1:$dovecot_port" "virtual_mailbox_domains = example.com
virtual_mailbox_base = $boxes
virtual_mailbox_maps = static:inbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534"
register "$mailer" "mailer password 1"

# messages TO: the messages in the mailbox for TO, as JSON lines (python's mailbox and email).
messages() {
    python3 - "$boxes/inbox" "$1" <<'PY'
import email.policy, json, mailbox, os, sys
path, to = sys.argv[1:]
if os.path.exists(path):
    for message in mailbox.mbox(path, factory=None):
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        if parsed["To"] is None or to not in str(parsed["To"]):
            continue
        text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
        print(json.dumps({
            "subject": str(parsed["Subject"]), "from": str(parsed["From"]), "id": str(parsed["Message-ID"]),
            "date": str(parsed["Date"]), "auto": str(parsed["Auto-Submitted"]), "type": parsed.get_content_type(),
            "received": len(parsed.get_all("Received") or []),
            "text": text.get_content() if text else "", "html": html.get_content() if html else ""}))
PY
}
# wait_for TO COUNT: waits until TO has COUNT messages; prints the newest.
wait_for() {
    for _ in $(seq 1 200); do
        [ "$(messages "$1" | wc -l)" -ge "$2" ] && { messages "$1" | tail -n 1; return 0; }
        sleep 0.1
    done
    echo "{}"
    return 1
}
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2"; }

.build/debug/authctl mail test ann@example.com --config config/authd.yaml >/dev/null
message=$(wait_for ann@example.com 1) || true
expect "authd test message" "$(field "$message" subject)" \
    "authctl mail test: delivered by authd through Postfix to the mailbox"
expect 1 "$(field "$message" received)" "one Received header: Postfix's, the only hop"
expect multipart/alternative "$(field "$message" type)" "multipart/alternative, as it left authd"
expect 1 "$(python3 -c 'import json, sys; m = json.loads(sys.argv[1]); print(int(bool(m["text"].strip()) and "<" in m["html"]))' "$message")" \
    "with a text part and an HTML part"
expect "1 1 auto-generated" "$(grep -c '@authd.test>$' <<<"$(field "$message" id)") $(grep -c '^authd <no-reply@authd.test>$' <<<"$(field "$message" from)") $(field "$message" auto)" \
    "Message-ID in authd's domain, From mail.from with its name, Auto-Submitted: auto-generated"
expect 1 "$(python3 -c 'import sys; from email.utils import parsedate_to_datetime as p; print(int(p(sys.argv[1]) is not None))' "$(field "$message" date)")" \
    "a Date header"
expect 1 "$(grep -q "sasl_method=PLAIN, sasl_username=$mailer" "$POSTFIX_DIR/maillog" && echo 1 || echo 0)" \
    "authd signed in to Postfix as its authd account (Postfix asked authd)"

# A password reset, its token read from the delivered message.
user="pf$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "postfix password 1"
wait_for "$user@example.com" 1 >/dev/null || true
curl -s -o /dev/null -H 'Content-Type: application/json' -d "{\"login\":\"$user\"}" "http://127.0.0.1:$HTTP_PORT/password/forgot"
reset=$(wait_for "$user@example.com" 2) || true
token=$(field "$reset" text | grep -E -o '^[A-Za-z0-9_-]{43}$' | head -n 1 || true)
expect 200 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"token\":\"$token\",\"new_password\":\"postfix password 2\"}" "http://127.0.0.1:$HTTP_PORT/password/reset")" \
    "the reset message came through Postfix; its token set the new password"
changed=$(wait_for "$user@example.com" 3) || true
expect "Your authd password was changed" "$(field "$changed" subject)" "the owner was told, through Postfix too"

if [ "$failures" -ne 0 ]; then
    tail -n 30 "$POSTFIX_DIR/maillog" >&2
    grep -v '"route"' "$interop_work/authd.log" | tail -n 30 >&2
    exit 1
fi
echo "interop: mail through Postfix passed"
