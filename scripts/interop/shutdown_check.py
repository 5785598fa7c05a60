"""SIGTERM with requests in flight and idle connections open: see shutdown.sh."""
import http.client
import json
import os
import signal
import socket
import threading
import time

from checks import require as check

PID = int(os.environ["AUTHD_PID"])
HTTP_PORT = int(os.environ["HTTP_PORT"])
LINE_PORT = int(os.environ["LINE_PORT"])
IN_FLIGHT = 20


# 50 idle keep-alive HTTP connections, each having completed one request.
idle_http = []
for _ in range(50):
    connection = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=15)
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    check(response.status == 200, "keep-alive connection open") if response.status != 200 else None
    idle_http.append(connection)
# 10 idle line-protocol connections, greeting read.
idle_line = []
for _ in range(10):
    sock = socket.create_connection(("127.0.0.1", LINE_PORT), timeout=15)
    sock.recv(4096)
    idle_line.append(sock)
print(f"ok: {len(idle_http)} idle HTTP and {len(idle_line)} idle line connections open")

results = [None] * IN_FLIGHT
sent = threading.Barrier(IN_FLIGHT + 1)


def login(index):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=30)
        body = json.dumps({"username": "shutdown_user", "password": "shutdown user pw 1"})
        connection.request("POST", "/login", body=body, headers={"Content-Type": "application/json"})
        sent.wait()
        response = connection.getresponse()
        results[index] = (response.status, "access_token" in json.loads(response.read() or b"{}"))
    except Exception as error:  # noqa: BLE001 - any failure is a result to report
        results[index] = ("error", repr(error))
        try:
            sent.wait(timeout=0)
        except threading.BrokenBarrierError:
            pass


threads = [threading.Thread(target=login, args=(i,)) for i in range(IN_FLIGHT)]
for thread in threads:
    thread.start()
sent.wait()


def on_server():
    """Logins the server has read: those in the hashing pool plus those answered (from /metrics)."""
    connection = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=5)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    jobs = answered = 0.0
    for line in text.splitlines():
        if line.startswith("authd_hashing_jobs "):
            jobs = float(line.split()[-1])
        elif line.startswith("authd_http_requests_total{") and 'route="/login"' in line:
            answered += float(line.split()[-1])
    return jobs + answered


# Written is not read: under load the server may not have taken every request off its socket
# yet, and one it has not read is an idle connection to a graceful shutdown. Wait until all are in.
deadline = time.monotonic() + 10
while on_server() < IN_FLIGHT and time.monotonic() < deadline:
    time.sleep(0.01)
start_wall = time.time()
os.kill(PID, signal.SIGTERM)
for thread in threads:
    thread.join()
ok = sum(1 for result in results if result == (200, True))
check(ok == IN_FLIGHT, f"all {IN_FLIGHT} logins in flight at SIGTERM succeeded ({ok}; {results})")


def closed_by_server(recv):
    try:
        return recv() == b""
    except (TimeoutError, ConnectionResetError):
        return False


closed_http = sum(1 for c in idle_http if closed_by_server(lambda c=c: c.sock.recv(1)))
closed_line = 0
for sock in idle_line:
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
        closed_line += 1
    except (TimeoutError, ConnectionResetError):
        pass
check(closed_http == len(idle_http), f"idle HTTP connections closed by the server ({closed_http}/{len(idle_http)})")
check(closed_line == len(idle_line), f"idle line connections closed by the server ({closed_line}/{len(idle_line)})")

# authd is the shell's child: shutdown.sh waits for it and checks its exit status and time.
with open(os.environ["SIGTERM_AT"], "w") as out:
    out.write(repr(start_wall))
