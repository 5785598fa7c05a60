#!/usr/bin/env bash
# authd's saslauthd socket (saslauthd.path) with Debian's testsaslauthd (sasl2-bin), Cyrus SASL's
# own client of the protocol: right and wrong passwords, an unknown user, a service without a
# stack, the lockout; then malformed requests straight on the socket (each answered or closed and
# logged), and throughput.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
scripts/install-deps.sh
socket="$interop_work/mux"
export AUTHD_SASLAUTHD_PATH="$socket"
start_authd
for _ in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.1; done

user="sa$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "sasl password 1"
register "$user-locked" "sasl password 2"
sasl() { testsaslauthd -f "$socket" -u "$1" -p "$2" -s "${3:-imap}" 2>&1 || true; }
expect '0: OK "Success."' "$(sasl "$user" "sasl password 1")" "testsaslauthd, right password"
expect '0: NO "authentication failed"' "$(sasl "$user" "wrong")" "testsaslauthd, wrong password"
expect '0: NO "authentication failed"' "$(sasl "nobody-$user" "sasl password 1")" "testsaslauthd, unknown user"
# testsaslauthd prints its own text for every NO; authd's (temporary, unknown service) is in the reply.
expect '0: NO "authentication failed"' "$(sasl "$user" "sasl password 1" nostack)" \
    "testsaslauthd, a service without a stack: NO"
if grep -q '"message":"saslauthd: the request could not be checked","error":"unknown_service' "$interop_work/authd.log"; then
    echo "ok: a service without a stack is logged"
else
    echo "FAIL: no log line" >&2
    failures=$((failures + 1))
fi
expect '0: NO "authentication failed"' "$(sasl "$user" "sasl password 1" 'Bad Service')" "testsaslauthd, a malformed service: NO"
for _ in $(seq 1 10); do sasl "$user-locked" "wrong" >/dev/null; done
expect '0: NO "authentication failed"' "$(sasl "$user-locked" "sasl password 2")" \
    "testsaslauthd, locked after ten failures (right password refused)"
expect 660 "$(stat -c %a "$socket")" "the socket is mode 0660"

python3 - "$socket" <<'PY' || failures=$((failures + 1))
import socket, struct, sys
path = sys.argv[1]
def ask(data, complete):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    s.sendall(data)
    if not complete:
        s.shutdown(socket.SHUT_WR)
    reply = b""
    while chunk := s.recv(4096):
        reply += chunk
    s.close()
    return reply
field = lambda b: struct.pack(">H", len(b)) + b
bad = 0
for what, data, want in [
    ("a field over 256 bytes", field(b"u" * 300) + field(b"p") + field(b"imap") + field(b""), b""),
    ("three fields, then the end", field(b"u") + field(b"p") + field(b"imap"), b""),
    ("a login that is not UTF-8", field(b"\xff\xfe") + field(b"p") + field(b"imap") + field(b""), b"\x00\x14NO malformed request"),
    ("an empty login", field(b"") + field(b"p") + field(b"imap") + field(b""), b"\x00\x14NO malformed request"),
    ("a service that is no stack name", field(b"u") + field(b"p") + field(b"Bad Service") + field(b""), b"\x00\x12NO unknown service"),
]:
    got = ask(data, complete=want != b"")
    if got == want:
        print(f"ok: saslauthd socket, {what}")
    else:
        print(f"FAIL: saslauthd socket, {what}: {got!r}", file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
PY
if grep -q '"message":"saslauthd: closing a connection: a field over 256 bytes"' "$interop_work/authd.log"; then
    echo "ok: the over-long field is logged"
else
    echo "FAIL: no log line" >&2
    failures=$((failures + 1))
fi

started=$(date +%s.%N)
for _ in $(seq 1 100); do sasl "$user" "sasl password 1"; done | grep -c OK >"$interop_work/oks"
expect 100 "$(cat "$interop_work/oks")" "100 testsaslauthd logins"
echo "figure: 100 testsaslauthd logins, one process each, in $(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN {printf "%.2f", a - b}') s"

kill "${authd_pids[0]}"
wait "${authd_pids[0]}" 2>/dev/null || true
authd_pids=()
expect 0 "$(sasl "$user" "sasl password 1" | grep -c OK)" "authd away: no OK"

if [ "$failures" -ne 0 ]; then
    grep -v '"route"' "$interop_work/authd.log" | tail -n 20 >&2
    echo "interop: saslauthd checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: saslauthd checks passed"
