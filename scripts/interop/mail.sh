#!/usr/bin/env bash
# Mail through the outbox to a real SMTP relay (PyPI aiosmtpd, scripts/interop/smtp_sink.py) with
# STARTTLS and AUTH required: `authctl mail test` queued and sent by authd, and sent --direct; the
# message as Python's email package reads it (multipart/alternative, quoted-printable, headers);
# a relay that answers 451 twice (retried, then sent) and one that answers 550 (given up, counted,
# kept); SMTPUTF8 for a non-ASCII address; authd killed mid-delivery (the message sent again by the
# restarted one, same Message-ID: at least once) and a message queued while no authd ran (sent once
# one starts); e-mail verification by the mailed link and by the code; sign-in by the mailed code
# (JSON); the portal's forgot-password, sign-in-by-mail and mailed-link pages in headless Chromium
# (mail_browser_check.py, screenshots in $MAIL_SCREENSHOTS); 1,000 messages through two instances,
# one SIGKILLed mid-way (each arrives; copies only of the killed one's claims, same Message-ID);
# the relay password never in the log.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
scripts/install-deps.sh openssl
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c 'import aiosmtpd' 2>/dev/null \
    || .venv/bin/pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
browser_venv

smtp_port=$(free_port)
mail="$interop_work/mail"
mkdir "$mail"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$interop_work/relay.key" -out "$interop_work/relay.crt" 2>/dev/null
printf 'relay password 1\n' > "$interop_work/relay-pw"
.venv/bin/python scripts/interop/smtp_sink.py "$smtp_port" "$interop_work/relay.crt" "$interop_work/relay.key" \
    relay-user 'relay password 1' "$mail" > "$interop_work/sink.log" 2>&1 &
server_pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$interop_work/sink.log" && break; sleep 0.1; done

export AUTHD_MAIL_TRANSPORT=smtp AUTHD_MAIL_FROM="no-reply@authd.test" AUTHD_MAIL_SMTP_HOST=127.0.0.1
export AUTHD_MAIL_SMTP_PORT="$smtp_port" AUTHD_MAIL_SMTP_SECURITY=starttls AUTHD_MAIL_SMTP_CA_FILE="$interop_work/relay.crt"
export AUTHD_MAIL_SMTP_USERNAME=relay-user AUTHD_MAIL_SMTP_PASSWORD_FILE="$interop_work/relay-pw"
export AUTHD_MAIL_TIMEOUT_SECONDS=3 AUTHD_MAIL_RETRY_FIRST_SECONDS=1 AUTHD_MAIL_RETRY_MAX_SECONDS=2
export AUTHD_MAIL_EMAIL_VERIFICATION_URL="https://id.example/verify?lang=en" AUTHD_MAIL_SIGN_IN_BY_EMAIL=true
# Every request here comes from one address: its limit (tested in the Swift suites) is off.
export AUTHD_LIMITS_MAIL_BURST=0
# The portal's links are built from oauth.issuer: this authd's own address.
NEXT_HTTP_PORT=$(free_port)
export AUTHD_OAUTH_ISSUER="http://127.0.0.1:$NEXT_HTTP_PORT"
authctl() { .build/debug/authctl "$@" --config config/authd.yaml; }
# The scripts share one database, and others leave mail queued for addresses nobody reads (the
# verification and reset requests of openapi.sh's generated accounts): this one counts what it
# sends, so it starts from an empty outbox.
"$AUTHD_PG_BINDIR/psql" -q -v ON_ERROR_STOP=1 "$AUTHD_DATABASE_URL" -c "DELETE FROM outbox" 2>/dev/null || true
start_authd
# authctl writes to the outbox directly: wait until authd has migrated (ready), which on a new
# database happens beside its listeners.
for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/readyz")" = 200 ] && break
    sleep 0.1
done

# wait_for_mail TO SECONDS: the newest .eml the relay saved for TO; status 1 when none came.
wait_for_mail() {
    local tries=$(($2 * 10))
    for _ in $(seq 1 "$tries"); do
        found=$(grep -l -- "\"$1\"" "$mail"/*.json 2>/dev/null | tail -n 1 || true)
        [ -n "$found" ] && { echo "${found%.json}"; return 0; }
        sleep 0.1
    done
    return 1
}
metric() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }

# check_mail TO WHAT: waits for TO's message and checks it.
check_mail() {
    local base
    if base=$(wait_for_mail "$1" 30); then
        (cd scripts/interop && ../../.venv/bin/python mail_check.py "$base" "$2") || failures=$((failures + 1))
    else
        echo "FAIL: $2: nothing arrived for $1" >&2
        failures=$((failures + 1))
    fi
}

authctl mail test ann@example.com >/dev/null
check_mail ann@example.com "authctl mail test, queued and delivered by authd"
expect_status 0 "authctl mail test --direct: sent from authctl through the relay" authctl mail test bob@example.com --direct
check_mail bob@example.com "--direct"
refused=$(authctl mail test reject-1@example.com --direct 2>&1 || echo "exit $?")
expect "550 exit 1" "$(grep -o '550' <<< "$refused" | head -n 1) $(grep -o 'exit [0-9]*' <<< "$refused")" \
    "--direct to a recipient the relay refuses: its 550, exit 1"

authctl mail test tempfail-1@example.com >/dev/null
check_mail tempfail-1@example.com "451 twice, then accepted"
expect 2 "$(grep -c '"message":"outbox: deferred"' "$interop_work/authd.log")" "authd deferred it twice, logging each"
expect 2 "$(metric 'authd_outbox_deferred_total{kind="mail"}')" "authd_outbox_deferred_total counts them"
authctl mail test reject-2@example.com >/dev/null
wait_for_log '"message":"outbox: given up"' 20 || true
expect 1 "$(grep -c '"message":"outbox: given up".*550' "$interop_work/authd.log")" "a 550 is given up at once, logged with the reply"
expect 1 "$(metric 'authd_outbox_failed_total{kind="mail"}')" "authd_outbox_failed_total counts it"
expect "queued 0 failed 1" "$(authctl mail status | tr '\n' ' ' | sed 's/ $//')" "authctl mail status: none waiting, one given up"

authctl mail test jörg@example.com >/dev/null
if base=$(wait_for_mail jörg@example.com 30); then
    expect 1 "$(grep -c SMTPUTF8 "$base.json")" "a non-ASCII address goes with SMTPUTF8"
else
    echo "FAIL: nothing arrived for the non-ASCII address" >&2
    failures=$((failures + 1))
fi

# plain_text EML: the text part of a saved message.
plain_text() {
    .venv/bin/python -c '
import email, email.policy, sys
message = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
print(message.get_body(preferencelist=("plain",)).get_content().replace("\r", ""))' "$1"
}
post() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$HTTP_PORT$1"; }
# bearer_post PATH TOKEN BODY: the response body.
bearer_post() {
    curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $2" -d "$3" "http://127.0.0.1:$HTTP_PORT$1"
}
access_token() {
    curl -s -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" \
        "http://127.0.0.1:$HTTP_PORT/login" | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# E-mail verification through the relay: registration sends a link and a code; the link verifies
# one account, the code (with the account's token) another.
reset_user="reset$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
code_user="code$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$reset_user" "reset password 1"
register "$code_user" "code password 1"
if base=$(wait_for_mail "$reset_user@example.com" 30) && code_base=$(wait_for_mail "$code_user@example.com" 30); then
    expect 1 "$(grep -c '^Subject: Verify your e-mail address for authd' "$base.eml")" "registration sent a verification message"
    link_token=$(plain_text "$base.eml" | grep -o 'https://id.example/verify?lang=en&token=[A-Za-z0-9_-]*' | sed 's/.*token=//' || true)
    code=$(plain_text "$code_base.eml" | grep -E -o '^[0-9]{6}$' | head -n 1 || true)
    expect "43 6" "${#link_token} ${#code}" "it carries a link (the configured URL with token=) and a six-digit code"
    [ "${#link_token} ${#code}" = "43 6" ] || plain_text "$base.eml" >&2
    expect 200 "$(post /email/verify "{\"token\":\"$link_token\"}")" "POST /email/verify with the link's token"
    expect 401 "$(post /email/verify '{"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}')" "an unknown token is refused"
    code_access=$(access_token "$code_user" "code password 1")
    expect '"email_verified":true' "$(bearer_post /email/verify "$code_access" "{\"code\":\"$code\"}" \
        | grep -o '"email_verified":[a-z]*')" "POST /email/verify with the code and the account's token"
else
    echo "FAIL: no verification message arrived" >&2
    failures=$((failures + 1))
fi

# Password reset through the relay: the token from the message sets a new password.
files_before=$(find "$mail" -name '*.json' | wc -l)
# The request names another host (Host, X-Forwarded-Host): links are built from oauth.issuer only.
poisoned=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Host: evil.example' \
    -H 'X-Forwarded-Host: evil.example' -d "{\"login\":\"$reset_user\"}" "http://127.0.0.1:$HTTP_PORT/password/forgot")
expect "202 202" "$poisoned $(post /password/forgot '{"login":"nobody-at-all"}')" \
    "POST /password/forgot: 202 for an account and for a name nobody has"
for _ in $(seq 1 300); do [ "$(find "$mail" -name '*.json' | wc -l)" -gt "$files_before" ] && break; sleep 0.1; done
if base=$(wait_for_mail "$reset_user@example.com" 30); then
    token=$(.venv/bin/python - "$base.eml" <<'PY2'
import email, email.policy, re, sys
message = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
text = message.get_body(preferencelist=("plain",)).get_content()
found = re.search(r"^([A-Za-z0-9_-]{43})\r?$", text, re.M)
print(found.group(1) if found else text, file=None if found else sys.stderr)
PY2
)
    echo "ok: the reset message arrived through the relay, with its token"
    expect "0 1" "$(plain_text "$base.eml" | grep -c 'evil\.example') $(plain_text "$base.eml" | grep -c "^$AUTHD_OAUTH_ISSUER/ui/password/reset?token=$token\$")" \
        "its link is under oauth.issuer, whatever Host and X-Forwarded-Host the request gave"
    expect 200 "$(post /password/reset "{\"token\":\"$token\",\"new_password\":\"reset password 2\"}")" \
        "POST /password/reset with the mailed token"
    expect 401 "$(post /password/reset "{\"token\":\"$token\",\"new_password\":\"reset password 3\"}")" "the token works once"
    expect 200 "$(post /login "{\"username\":\"$reset_user\",\"password\":\"reset password 2\"}")" "the new password signs in"
    for _ in $(seq 1 300); do [ "$(grep -l "\"$reset_user@example.com\"" "$mail"/*.json | wc -l)" -ge 3 ] && break; sleep 0.1; done
    changed=$(grep -l "\"$reset_user@example.com\"" "$mail"/*.json | tail -n 1)
    expect 1 "$(grep -c '^Subject: Your authd password was changed' "${changed%.json}.eml")" "the owner is told the password changed"
else
    echo "FAIL: no reset message arrived" >&2
    failures=$((failures + 1))
fi
expect $((files_before + 2)) "$(find "$mail" -name '*.json' | wc -l)" "nothing was sent for the name nobody has"

# An invitation from authctl, delivered by authd: the link's token makes the account.
authctl user invite "guest-$code_user@example.com" >/dev/null
if base=$(wait_for_mail "guest-$code_user@example.com" 30); then
    invite_token=$(plain_text "$base.eml" | grep -o 'invitation?token=[A-Za-z0-9_-]*' | sed 's/.*token=//' || true)
    expect 201 "$(post /invitations/accept "{\"token\":\"$invite_token\",\"username\":\"g$code_user\",\"password\":\"guest password 1\"}")" \
        "authctl user invite: the mailed link's token makes the account"
    expect 200 "$(post /login "{\"username\":\"g$code_user\",\"password\":\"guest password 1\"}")" "the invitee signs in"
else
    echo "FAIL: no invitation arrived" >&2
    failures=$((failures + 1))
fi

# Sign-in by the mailed code over the JSON API.
expect 202 "$(post /login/email "{\"login\":\"g$code_user\"}")" "POST /login/email: 202"
for _ in $(seq 1 300); do
    [ "$(grep -l "\"guest-$code_user@example.com\"" "$mail"/*.json | wc -l)" -ge 2 ] && break
    sleep 0.1
done
if base=$(wait_for_mail "guest-$code_user@example.com" 1) && grep -q '^Subject: Sign in to authd' "$base.eml"; then
    sign_in_code=$(plain_text "$base.eml" | grep -E -o '^[0-9]{6}$' | head -n 1 || true)
    signed_in=$(curl -s -H 'Content-Type: application/json' -d "{\"login\":\"g$code_user\",\"code\":\"$sign_in_code\"}" \
        "http://127.0.0.1:$HTTP_PORT/login/email/complete")
    expect 1 "$(grep -c '"access_token"' <<< "$signed_in")" "POST /login/email/complete with the mailed code signs in"
else
    echo "FAIL: no sign-in message arrived" >&2
    failures=$((failures + 1))
fi

# The portal's pages the mailed links open, in headless Chromium.
if (cd scripts/interop && ../../.venv/bin/python mail_browser_check.py "$HTTP_PORT" "$mail" "$code_user" \
    "${MAIL_SCREENSHOTS:-$interop_work/screenshots}"); then :; else failures=$((failures + 1)); fi

# Killed while the relay holds its answer to DATA: the restarted authd sends the message again
# once the claim's lease (3 x timeout + 5 s) runs out; a message queued meanwhile goes too.
authctl mail test slow-1@example.com >/dev/null
wait_for_mail slow-1@example.com 30 >/dev/null || true
kill -KILL "${authd_pids[0]}"
wait "${authd_pids[0]}" 2>/dev/null || true
authd_pids=()
authctl mail test carol@example.com >/dev/null
sleep 1
expect 0 "$(grep -l '"carol@example.com"' "$mail"/*.json 2>/dev/null | wc -l)" "nothing is sent while no authd runs"
start_authd
check_mail carol@example.com "queued while no authd ran, sent once one started"
for _ in $(seq 1 300); do
    [ "$(grep -l '"slow-1@example.com"' "$mail"/*.json | wc -l)" -ge 2 ] && break
    sleep 0.1
done
ids=$(for base in "$mail"/*.json; do grep -q '"slow-1@example.com"' "$base" || continue; grep -i '^Message-ID:' "${base%.json}.eml"; done | sort -u | wc -l)
expect "2 1" "$(grep -l '"slow-1@example.com"' "$mail"/*.json | wc -l) $ids" \
    "killed mid-delivery: sent again by the restarted authd, with the same Message-ID (at least once)"
expect "queued 0 failed 1" "$(authctl mail status | tr '\n' ' ' | sed 's/ $//')" "and nothing waits any more"

# Two instances and a killed one: 1,000 messages queued at once (one INSERT), one instance
# SIGKILLed once a third of them arrived. Every message arrives; the only copies are messages the
# killed instance had claimed (at most one batch, 8), sent again after their lease with the same
# Message-ID.
start_authd
queue_mail bulk 1000
bulk_files() { grep -l '"bulk-' "$mail"/*.json 2>/dev/null | wc -l; }
for _ in $(seq 1 600); do [ "$(bulk_files)" -ge 333 ] && break; sleep 0.05; done
kill -KILL "${authd_pids[0]}"
wait "${authd_pids[0]}" 2>/dev/null || true
echo "bulk: instance killed after $(bulk_files) of 1000 arrived"
# The survivor takes the killed one's claims once their lease (3 x timeout + 5 s) ran out.
for _ in $(seq 1 600); do
    [ "$("$AUTHD_PG_BINDIR/psql" -At "$AUTHD_DATABASE_URL" -c "SELECT count(*) FROM outbox WHERE failed_at IS NULL")" = 0 ] \
        && break
    sleep 0.1
done
read -r recipients copies same_ids <<<"$(.venv/bin/python - "$mail" <<'PY'
import collections, email, email.policy, glob, json, sys
ids = collections.defaultdict(set)
copies = 0
for name in glob.glob(f"{sys.argv[1]}/*.json"):
    to = json.load(open(name))["to"]
    if not to or not to[0].startswith("bulk-"):
        continue
    copies += 1
    message = email.message_from_bytes(open(name[:-5] + ".eml", "rb").read(), policy=email.policy.default)
    ids[to[0]].add(message["Message-ID"])
print(len(ids), copies - len(ids), all(len(found) == 1 for found in ids.values()))
PY
)"
expect 1000 "$recipients" "two instances, one SIGKILLed mid-way: all 1,000 messages arrived"
if [ "$copies" -le 8 ] && [ "$same_ids" = True ]; then
    echo "ok: $copies sent twice (claimed by the killed instance, at most one batch), each copy with its Message-ID"
else
    echo "FAIL: $copies copies (more than one batch), or a copy with another Message-ID ($same_ids)" >&2
    failures=$((failures + 1))
fi

# The mailed secrets (a verification link's, a reset's, an invitation's) never reach a log line.
leaked=0
for secret in "${link_token:-}" "${token:-}" "${invite_token:-}"; do
    [ "${#secret}" = 43 ] || { leaked=$((leaked + 100)); continue; }
    grep -qF -- "$secret" "$interop_work/authd.log" && leaked=$((leaked + 1))
done
expect 0 "$leaked" "no mailed token in authd's log"
if grep -q 'relay password' "$interop_work/authd.log"; then
    echo "FAIL: the relay password reached the log" >&2
    failures=$((failures + 1))
else
    echo "ok: the relay password is not in the log"
fi
[ "$failures" -eq 0 ] || exit 1
echo "interop: mail through the outbox and a real relay passed"
