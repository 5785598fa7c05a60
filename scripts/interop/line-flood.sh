#!/usr/bin/env bash
# Line-protocol floods against a real authd (issue #21, finding 1): clients that send and never
# read. authd's resident memory may grow by at most FLOOD_RSS_LIMIT_MIB (32) across all of them:
# 7 MiB of bare newlines (closed after 16 lines that do not parse), 7 MiB of pipelined PINGs (reading
# stops while the replies wait; all of them arrive once the client reads) and 200 such clients at
# once. Before the fix the first one alone grew authd from 44 MiB to 840 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

start_authd
python3 - "$LINE_PORT" "${authd_pids[0]}" "${FLOOD_RSS_LIMIT_MIB:-32}" <<'PY'
import socket, sys, time

port, pid, limit_mib = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
failures = 0

def rss_mib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS")

def expect(ok, what):
    global failures
    print(("ok: " if ok else "FAIL: ") + what, file=sys.stdout if ok else sys.stderr)
    failures += 0 if ok else 1

def flood(payload, seconds=15):
    """Writes payload without reading; returns (socket, bytes written, whether the server closed).
    The client's own kernel buffers are small, so what the kernel takes is what authd read."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 << 10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 10)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    written, closed, idle_since = 0, False, None
    deadline = time.monotonic() + seconds
    while written < len(payload) and time.monotonic() < deadline:
        try:
            n = s.send(payload[written:written + 65536])
            written += n
            idle_since = None
        except BlockingIOError:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 2:
                break
            time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    return s, written, closed

def closed_by_server(s, timeout=10):
    s.setblocking(True)
    s.settimeout(timeout)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

before = rss_mib()
print(f"authd RSS before: {before:.1f} MiB")

s, written, closed = flood(b"\n" * (7 << 20))
expect(closed or closed_by_server(s), f"7 MiB of bare newlines: the connection is closed ({written} bytes taken)")
s.close()
after_newlines = rss_mib()
print(f"  RSS after the newline flood: {after_newlines:.1f} MiB")

line = b"PING\tflood\n"
total = 32 << 20
s, written, closed = flood(line * (total // len(line)))
expect(not closed, "pipelined PINGs: the connection stays open")
expect(written < total // 2, f"pipelined PINGs into a client that does not read: authd stops reading ({written} of {total} bytes taken)")
held = rss_mib()
print(f"  RSS while the replies wait: {held:.1f} MiB")
s.setblocking(True)
s.settimeout(10)
want, got, buffer = written // len(line), 0, b""
try:
    while got < want:
        data = s.recv(1 << 20)
        if not data:
            break
        buffer += data
        lines = buffer.split(b"\n")
        buffer = lines.pop()
        got += sum(1 for l in lines if l == b"OK\tflood")
except socket.timeout:
    pass
s.close()
expect(got == want, f"every complete PING is answered once the client reads ({got} of {want})")

clients = []
for _ in range(200):
    c, _, _ = flood(b"\n" * (256 << 10), seconds=1)
    clients.append(c)
    d, _, _ = flood(line * 50_000, seconds=1)
    clients.append(d)
many = rss_mib()
print(f"  RSS with 400 flooding clients: {many:.1f} MiB")
for c in clients:
    c.close()

peak = max(after_newlines, held, many)
expect(peak - before <= limit_mib, f"authd's RSS grew by {peak - before:.1f} MiB at most (limit {limit_mib} MiB)")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"PING\tafter\n")
reply = b""
while b"OK\tafter" not in reply:
    data = s.recv(4096)
    if not data:
        break
    reply += data
expect(b"OK\tafter" in reply, "a new client is answered after the floods")
sys.exit(1 if failures else 0)
PY
echo "interop: line-protocol flood checks passed"
