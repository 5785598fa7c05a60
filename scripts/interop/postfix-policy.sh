#!/usr/bin/env bash
# authd's Postfix policy service (postfix_policy.addr): a client of Postfix's policy protocol
# asks about SASL users (active and unknown alike, disabled, locked from one address) and sends malformed
# requests; then Debian's Postfix (root only), authenticating against authd's dovecot_auth
# listener and asking the policy service at RCPT, accepts mail from an account and rejects it once
# the account is disabled in the middle of the SMTP session.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
dovecot_port=$(free_port)
# The policy service on a unix socket, as config/postfix/main.cf.authd-policy ships it. Mode 0666
# here only because this authd runs as root and Postfix's smtpd as postfix: give the socket's group
# to Postfix instead.
policy_dir=$(mktemp -d)
chmod 755 "$policy_dir"
server_dirs+=("$policy_dir")
policy_socket="$policy_dir/policy"
export AUTHD_POSTFIX_POLICY_PATH="$policy_socket" AUTHD_POSTFIX_POLICY_MODE=0666 \
    AUTHD_DOVECOT_AUTH_ADDR="127.0.0.1:$dovecot_port"
start_authd
ctl=(.build/debug/authctl)
db=(--config config/authd.yaml)

user="pp$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
for name in "$user" "$user-off" "$user-locked"; do register "$name" "policy password 1"; done
"${ctl[@]}" user disable "$user-off" "${db[@]}" >/dev/null 2>&1
# Ten failed SMTP AUTHs from 192.0.2.7 lock $user-locked there (the smtp stack counts by address).
python3 - "$dovecot_port" "$user-locked" <<'PY'
import base64, socket, sys
port, user = sys.argv[1:]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
f = s.makefile("rb")
while f.readline().rstrip(b"\n") != b"DONE":
    pass
s.sendall(b"VERSION\t1\t2\nCPID\t1\n")
for i in range(10):
    resp = base64.b64encode(f"\0{user}\0wrong".encode()).decode()
    s.sendall(f"AUTH\t{i + 1}\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp={resp}\n".encode())
    assert f.readline().startswith(b"FAIL"), "a wrong password fails"
PY

for _ in $(seq 1 50); do [ -S "$policy_socket" ] && break; sleep 0.1; done
if [ "$(stat -c %a "$policy_socket")" = 666 ]; then
    echo "ok: the policy socket has the configured mode"
else
    echo "FAIL: the policy socket's mode is $(stat -c %a "$policy_socket")" >&2
    failures=$((failures + 1))
fi
python3 - "$policy_socket" "$user" <<'PY' || failures=$((failures + 1))
import socket, sys
path, user = sys.argv[1:]
bad = 0
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(path)
f = s.makefile("rb")

def ask(attributes, raw=None):
    lines = raw if raw is not None else "".join(f"{k}={v}\n" for k, v in attributes.items())
    s.sendall((lines + "\n").encode() if isinstance(lines, str) else lines + b"\n")
    reply = f.readline().decode().rstrip("\n")
    assert f.readline() == b"\n", "a reply ends with an empty line"
    return reply

def check(what, attributes, want, raw=None):
    global bad
    got = ask(attributes, raw)
    if got == want:
        print(f"ok: policy, {what}")
    else:
        print(f"FAIL: policy, {what}: {got!r}, want {want!r}", file=sys.stderr)
        bad += 1

base = {"request": "smtpd_access_policy", "protocol_state": "RCPT", "protocol_name": "ESMTP",
        "client_address": "198.51.100.1", "sender": "a@example.org", "recipient": "b@example.net"}
reject = "action=REJECT 5.7.1 this account may not send mail now"
check("no SASL login: not this check's business", base | {"sasl_username": ""}, "action=DUNNO")
check("an active account", base | {"sasl_username": user, "sasl_method": "PLAIN"}, "action=DUNNO")
check("an unknown account: answered as an active one, so the answer tells no caller which names exist",
      base | {"sasl_username": "nobody-" + user}, "action=DUNNO")
check("a disabled account", base | {"sasl_username": user + "-off"}, reject)
check("an account locked from the client's address", base | {"sasl_username": user + "-locked", "client_address": "192.0.2.7"}, reject)
check("the same account from another address", base | {"sasl_username": user + "-locked"}, "action=DUNNO")
check("a line without name=value", {}, "action=DEFER_IF_PERMIT 4.7.1 malformed policy request",
      raw="request=smtpd_access_policy\nnonsense\nsasl_username=" + user + "\n")
check("an attribute given twice", {}, "action=DEFER_IF_PERMIT 4.7.1 malformed policy request",
      raw=f"request=smtpd_access_policy\nsasl_username={user}\nsasl_username=x\n")
check("bytes that are not UTF-8", {}, "action=DEFER_IF_PERMIT 4.7.1 malformed policy request",
      raw=b"request=smtpd_access_policy\nsasl_username=\xff\n")
check("another request type", {"request": "junk"}, "action=DEFER_IF_PERMIT 4.7.1 unknown policy request")
check("the connection still answers after all that", base | {"sasl_username": user}, "action=DUNNO")
s.sendall(b"request=" + b"x" * 9000 + b"\n")
if f.readline() == b"":
    print("ok: policy, an over-long line closes the connection")
else:
    print("FAIL: policy, an over-long line was answered", file=sys.stderr)
    bad += 1
sys.exit(1 if bad else 0)
PY

if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null; then
    start_postfix "inet:127.0.0.1:$dovecot_port" \
        "smtpd_recipient_restrictions = check_policy_service unix:$policy_socket, permit_sasl_authenticated, reject"
    mailer="$user-mail"
    register "$mailer" "policy password 2"
    python3 - "$SMTP_PORT" "$mailer" "${ctl[*]} user disable $mailer ${db[*]}" <<'PY' || failures=$((failures + 1))
import smtplib, subprocess, sys
port, user, disable = sys.argv[1:]
smtp = smtplib.SMTP("127.0.0.1", int(port), timeout=20)
smtp.ehlo("client.example")
smtp.login(user, "policy password 2")
smtp.mail("sender@example.org")
accepted = smtp.rcpt("someone@example.net")[0]
subprocess.run(disable, shell=True, check=True, capture_output=True)
refused = smtp.rcpt("someone-else@example.net")
smtp.quit()
ok = accepted == 250 and refused[0] == 554 and b"may not send mail" in refused[1]
print(("ok" if ok else "FAIL") + f": Postfix RCPT through the policy service: {accepted}, then {refused[0]} once disabled",
      file=sys.stdout if ok else sys.stderr)
sys.exit(0 if ok else 1)
PY
else
    echo "skip: Postfix needs root and Debian's postfix"
fi

if [ "$failures" -ne 0 ]; then
    [ -n "${POSTFIX_DIR:-}" ] && tail -n 20 "$POSTFIX_DIR/maillog" >&2
    grep -v '"route"' "$interop_work/authd.log" | tail -n 20 >&2
    echo "interop: Postfix policy checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: Postfix policy checks passed"
