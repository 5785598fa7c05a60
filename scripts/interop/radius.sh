#!/usr/bin/env bash
# authd's RADIUS front end (radius.addr) with FreeRADIUS's radclient (Debian freeradius-utils):
# the right password is an Access-Accept carrying the roles as Class, a wrong password, an unknown
# user and a locked account the same Access-Reject; a wrong shared secret gets no answer. Then
# packets radclient will not send, from Python: no Message-Authenticator, a forged one, an
# Accounting-Request, garbage, a truncated packet (all dropped, logged), and retransmissions
# answered from the first reply (counted once by the lockout). Then accounting and Status-Server
# with radclient, RadSec through radsecproxy, PyPI's pyrad, and pam_radius_auth with pamtester.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
scripts/install-deps.sh oathtool openssl
radius_port=$(free_port)
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$interop_work/mfa-key"
export AUTHD_MFA_KEY_FILE="$interop_work/mfa-key"
secret="interop-radius-shared-secret-1"
# 127.0.0.1 is a legacy client (pam_radius_auth 2.0 sends no Message-Authenticator); the rest of
# 127.0.0.0/8 is not: the raw-packet checks below send from 127.0.0.2.
export AUTHD_RADIUS_ADDR="127.0.0.1:$radius_port" AUTHD_RADIUS_CLIENTS="127.0.0.0/8=$secret,127.0.0.1/32=$secret"
export AUTHD_RADIUS_LEGACY_CLIENTS="127.0.0.1/32"
accounting_port=$(free_port)
export AUTHD_RADIUS_ACCOUNTING_ADDR="127.0.0.1:$accounting_port"
# RadSec: a private CA signs authd's server certificate and radsecproxy's client certificate.
radsec_port=$(free_port)
pki="$interop_work/pki"
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=authd test CA" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
for name in server client; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' > "$pki/$name.ext"
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 1 \
        -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
done
export AUTHD_RADIUS_RADSEC_ADDR="127.0.0.1:$radsec_port" AUTHD_RADIUS_RADSEC_CERT_FILE="$pki/server.crt"
export AUTHD_RADIUS_RADSEC_KEY_FILE="$pki/server.key" AUTHD_RADIUS_RADSEC_CLIENT_CA_FILE="$pki/ca.crt"
start_authd
for _ in $(seq 1 50); do grep -q '"message":"RADIUS listening"' "$interop_work/authd.log" && break; sleep 0.1; done

user="rad$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "radius password 1"
register "$user-locked" "radius password 2"
register "$user-retry" "radius password 3"
# radius_ask USER PASSWORD [SECRET]: radclient's verdict line ("Received Access-Accept …" or "No reply").
radius_ask() {
    printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' "$1" "$2" \
        | radclient -x -r 1 -t 2 "127.0.0.1:$radius_port" auth "${3:-$secret}" 2>&1 || true
}
verdict() { grep -o 'Received Access-[A-Za-z]*\|No reply from server' <<< "$1" | head -n 1; }

accepted=$(radius_ask "$user" "radius password 1")
expect "Received Access-Accept" "$(verdict "$accepted")" "radclient: the right password is accepted"
if grep -q 'Class = 0x75736572' <<< "$accepted"; then
    echo "ok: the Access-Accept carries the role user as Class"
else
    echo "FAIL: no Class user in: $accepted" >&2
    failures=$((failures + 1))
fi
expect "Received Access-Reject" "$(verdict "$(radius_ask "$user" "wrong password")")" "radclient: a wrong password is rejected"
expect "Received Access-Reject" "$(verdict "$(radius_ask "nobody-$user" "radius password 1")")" \
    "radclient: an unknown user gets the same reject"
expect "No reply from server" "$(verdict "$(radius_ask "$user" "radius password 1" "a wrong shared secret of the test")")" \
    "radclient: a wrong shared secret gets no answer"
for _ in $(seq 1 10); do radius_ask "$user-locked" "wrong" >/dev/null; done
expect "Received Access-Reject" "$(verdict "$(radius_ask "$user-locked" "radius password 2")")" \
    "radclient: locked after ten failures, the right password is rejected"

# TOTP: the account enrolled over HTTP (oathtool's code), then radclient's first request gets an
# Access-Challenge whose State the second request carries with the code as the password.
totp_secret=$(totp_account "$user-totp" "radius password 4")
challenged=$(radius_ask "$user-totp" "radius password 4")
expect "Received Access-Challenge" "$(verdict "$challenged")" "radclient: an account with TOTP gets an Access-Challenge"
state=$(grep -o 'State = 0x[0-9a-f]*' <<< "$challenged" | head -n 1 | cut -d' ' -f3)
next_code=$(next_totp "$totp_secret")
second=$(printf 'User-Name = "%s"\nUser-Password = "%s"\nState = %s\nMessage-Authenticator = 0x00\n' \
    "$user-totp" "$next_code" "$state" | radclient -x -r 1 -t 2 "127.0.0.1:$radius_port" auth "$secret" 2>&1 || true)
expect "Received Access-Accept" "$(verdict "$second")" "radclient: the code with the challenge's State is accepted"

python3 - "$radius_port" "$secret" "$user" <<'PY' || failures=$((failures + 1))
import hashlib, hmac, os, socket, sys
port, secret, user = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
failures = 0

def check(condition, what):
    global failures
    print(("ok: " if condition else "FAIL: ") + what, file=sys.stdout if condition else sys.stderr, flush=True)
    failures += 0 if condition else 1

def packet(code, attributes, authenticator, identifier=1):
    body = b"".join(bytes([t, len(v) + 2]) + v for t, v in attributes)
    return bytes([code, identifier]) + (20 + len(body)).to_bytes(2, "big") + authenticator + body

def hidden(password, authenticator):
    padded = password + b"\0" * (-len(password) % 16 or (16 if not password else 0))
    out, previous = b"", authenticator
    for i in range(0, len(padded), 16):
        block = bytes(a ^ b for a, b in zip(padded[i:i + 16], hashlib.md5(secret + previous).digest()))
        out, previous = out + block, block
    return out

def request(password=b"radius password 1", sign=True, forged=False, code=1, identifier=1, authenticator=None):
    authenticator = authenticator or os.urandom(16)
    attributes = [(1, user), (2, hidden(password, authenticator))]
    if sign:
        zeroed = packet(code, attributes + [(80, b"\0" * 16)], authenticator, identifier)
        mac = hmac.new(secret, zeroed, hashlib.md5).digest()
        attributes.append((80, bytes(16) if forged else mac))
    return packet(code, attributes, authenticator, identifier), authenticator

def ask(data, source="127.0.0.2", timeout=1.5):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(data, ("127.0.0.1", port))
        try:
            return s.recv(4096)
        except socket.timeout:
            return None

def authentic(reply, authenticator):
    if reply is None or len(reply) < 20:
        return False
    unsigned = reply[:4] + authenticator + reply[20:]
    return hashlib.md5(unsigned + secret).digest() == reply[4:20]

good, authenticator = request()
reply = ask(good)
check(reply is not None and reply[0] == 2 and authentic(reply, authenticator), "Python: a signed PAP request is accepted, the reply authentic")
check(ask(request(sign=False)[0]) is None, "no Message-Authenticator: dropped (BlastRADIUS)")
check(ask(request(forged=True)[0]) is None, "a forged Message-Authenticator: dropped")
check(ask(request(code=4)[0]) is None, "an Accounting-Request on the authentication port: dropped")
legacy = ask(request(sign=False)[0], source="127.0.0.1")
check(legacy is not None and legacy[0] == 2, "a legacy client (radius.legacy_clients) may leave it out")
check(ask(request(forged=True)[0], source="127.0.0.1") is None, "a legacy client's forged Message-Authenticator: dropped")
check(ask(b"\x01\x02\x00\x05garbage") is None, "garbage: dropped")
check(ask(good[:-3]) is None, "a truncated packet: dropped")
oversize = bytearray(good)
oversize[20 + 1] = 250  # the User-Name attribute claims more bytes than the packet holds
check(ask(bytes(oversize)) is None, "an attribute longer than its packet: dropped")
# A flood: 5,000 forged requests as fast as one socket sends them, then a good one is answered.
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
    flood.bind(("127.0.0.2", 0))
    forged_request = request(forged=True)[0]
    for _ in range(5000):
        flood.sendto(forged_request, ("127.0.0.1", port))
# The kernel may have dropped what overflowed the socket's buffer: retry as a NAS does.
after = next((reply for reply in (ask(request(identifier=n)[0], timeout=3) for n in range(3)) if reply), None)
check(after is not None and after[0] == 2, "after a flood of 5,000 forged requests a good one is accepted")
check(ask(request()[0], source="127.0.0.3") is not None, "127.0.0.3 is in the client network 127.0.0.0/8")
# One wrong password retransmitted fifteen times is one failure, not fifteen: the lockout (ten)
# is not reached, so the right password still passes afterwards.
retry_user = user + b"-retry"
user, saved = retry_user, user
wrong, wrong_authenticator = request(password=b"not the password")
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nas:  # a NAS retransmits from its port
    nas.bind(("127.0.0.2", 0))
    nas.settimeout(1.5)
    replies = set()
    for _ in range(15):
        nas.sendto(wrong, ("127.0.0.1", port))
        replies.add(nas.recv(4096))
check(len(replies) == 1 and next(iter(replies))[0] == 3, "fifteen retransmissions of a wrong password: one Access-Reject")
right = ask(request(password=b"radius password 3")[0])
check(right is not None and right[0] == 2, "the retransmissions counted once: the account is not locked")
user = saved
sys.exit(1 if failures else 0)
PY
if grep -qF 'a request without a valid Message-Authenticator (wrong secret?) was dropped' "$interop_work/authd.log"; then
    echo "ok: the dropped requests are logged"
else
    echo "FAIL: no log line for the dropped requests" >&2
    failures=$((failures + 1))
fi
dropped_lines=$(grep -c 'was dropped' "$interop_work/authd.log" || true)
if [ "$dropped_lines" -lt 100 ]; then
    echo "ok: the flood of 5,000 dropped packets took $dropped_lines log lines, not one each"
else
    echo "FAIL: $dropped_lines log lines for dropped packets" >&2
    failures=$((failures + 1))
fi

# Linux logins through Debian's pam_radius_auth (2.0: no Message-Authenticator, hence the legacy
# client above) with pamtester; root only, as it writes a service file into /etc/pam.d.
if [ "$(id -u)" = 0 ]; then
    service="authd-radius-$$"
    pamfile="/etc/pam.d/$service"
    trap 'rm -f "$pamfile"; stop_authd' EXIT
    printf '127.0.0.1:%s %s 3\n' "$radius_port" "$secret" > "$interop_work/pam_radius_auth.conf"
    chmod 600 "$interop_work/pam_radius_auth.conf"
    printf 'auth required pam_radius_auth.so conf=%s\naccount required pam_permit.so\n' \
        "$interop_work/pam_radius_auth.conf" > "$pamfile"
    expect_status 0 "pam_radius_auth with pamtester: the right password" \
        bash -c "printf 'radius password 1\n' | pamtester $service $user authenticate"
    expect_status 1 "pam_radius_auth with pamtester: a wrong password" \
        bash -c "printf 'wrong password\n' | pamtester $service $user authenticate"
else
    echo "radius: pam_radius_auth skipped (not root: it needs a file in /etc/pam.d)"
fi

# Accounting (RFC 2866) and Status-Server (RFC 5997) with radclient.
acct=$(printf 'Acct-Status-Type = Start\nUser-Name = "%s"\nAcct-Session-Id = "s-%s"\nNAS-Identifier = "nas-1"\n' \
    "$user" "$$" | radclient -x -r 1 -t 2 "127.0.0.1:$accounting_port" acct "$secret" 2>&1 || true)
expect "Received Accounting-Response" "$(grep -o 'Received Accounting-Response' <<< "$acct" | head -n 1)" \
    "radclient acct: a Start record is acknowledged"
if wait_for_log '"status":"start"' 5 && grep '"message":"radius accounting"' "$interop_work/authd.log" | grep -q "s-$$"; then
    echo "ok: the accounting record is in the log with its session id"
else
    echo "FAIL: no accounting record in the log" >&2
    failures=$((failures + 1))
fi
status=$(printf 'Message-Authenticator = 0x00\n' | radclient -x -r 1 -t 2 "127.0.0.1:$radius_port" status "$secret" 2>&1 || true)
expect "Received Access-Accept" "$(verdict "$status")" "radclient status: Status-Server is answered"

# RadSec (RFC 6614) through radsecproxy: radclient speaks UDP to the proxy, the proxy TLS with its
# client certificate to authd; and a TLS client without a certificate is refused.
proxy_port=$(free_port)
cat > "$interop_work/radsecproxy.conf" <<CONF
ListenUDP 127.0.0.1:$proxy_port
LogDestination x-syslog:///
LogLevel 3
tls authd {
    CACertificateFile $pki/ca.crt
    CertificateFile $pki/client.crt
    CertificateKeyFile $pki/client.key
}
client nas {
    host 127.0.0.1
    type udp
    secret proxy-shared-secret-0123456789
}
server authd {
    host 127.0.0.1
    port $radsec_port
    type tls
    tls authd
    CertificateNameCheck off
    secret radsec
}
realm * {
    server authd
}
CONF
radsecproxy -f -c "$interop_work/radsecproxy.conf" -i "$interop_work/radsecproxy.pid" >"$interop_work/radsecproxy.log" 2>&1 &
server_pids+=($!)
for _ in $(seq 1 50); do ss -lun | grep -q ":$proxy_port " && break; sleep 0.1; done
proxied() {
    printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' "$1" "$2" \
        | radclient -x -r 2 -t 3 "127.0.0.1:$proxy_port" auth proxy-shared-secret-0123456789 2>&1 || true
}
expect "Received Access-Accept" "$(verdict "$(proxied "$user" "radius password 1")")" \
    "radsecproxy: the right password over RadSec is an Access-Accept"
expect "Received Access-Reject" "$(verdict "$(proxied "$user" "wrong password")")" \
    "radsecproxy: a wrong password over RadSec is an Access-Reject"
refused=$(python3 - "$radsec_port" "$pki/ca.crt" <<'PY'
import socket, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
context.check_hostname = False
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            tls.sendall(b"\x01\x01\x00\x14" + bytes(16))
            print("answered" if tls.recv(4096) else "closed")
except (ssl.SSLError, ConnectionError, OSError):
    print("refused")
PY
)
expect "refused" "$refused" "RadSec: a TLS client without a certificate is refused"

# PyPI's pyrad: Access-Request with a Message-Authenticator, the reply verified; an accounting Stop.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c 'import pyrad' 2>/dev/null \
    || .venv/bin/pip install --quiet --disable-pip-version-check 'pyrad>=2.4,<3'
.venv/bin/python - "$radius_port" "$accounting_port" "$secret" "$user" <<'PY' || failures=$((failures + 1))
import io, sys
from pyrad import packet
from pyrad.client import Client
from pyrad.dictionary import Dictionary

port, accounting_port, secret, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
dictionary = Dictionary(io.StringIO("""ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE Reply-Message 18 string
ATTRIBUTE State 24 octets
ATTRIBUTE Class 25 octets
ATTRIBUTE Acct-Status-Type 40 integer
ATTRIBUTE Acct-Session-Id 44 string
ATTRIBUTE Message-Authenticator 80 octets
"""))
client = Client(server="127.0.0.1", authport=port, acctport=accounting_port, secret=secret, dict=dictionary)
client.timeout, client.retries = 3, 1
failures = 0

def check(condition, what):
    global failures
    print(("ok: " if condition else "FAIL: ") + what, file=sys.stdout if condition else sys.stderr, flush=True)
    failures += not condition

def ask(password):
    request = client.CreateAuthPacket(code=packet.AccessRequest, User_Name=user)
    request["User-Password"] = request.PwCrypt(password)
    request.add_message_authenticator()
    return client.SendPacket(request)

accepted = ask("radius password 1")
check(accepted.code == packet.AccessAccept, "pyrad: the right password is an Access-Accept (its authenticator verified)")
check(b"user" in accepted.get(25, []), "pyrad: the Access-Accept carries the role user as Class")
check(ask("wrong password").code == packet.AccessReject, "pyrad: a wrong password is an Access-Reject")
stop = client.CreateAcctPacket(User_Name=user)
stop["Acct-Status-Type"] = 2
stop["Acct-Session-Id"] = "pyrad-1"
check(client.SendPacket(stop).code == packet.AccountingResponse, "pyrad: an accounting Stop is acknowledged")
sys.exit(1 if failures else 0)
PY

if [ "$failures" -ne 0 ]; then
    echo "interop: RADIUS checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: RADIUS checks passed (radclient, Message-Authenticator, drops, retransmission)"
