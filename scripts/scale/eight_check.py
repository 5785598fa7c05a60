"""Eight authd instances on one PostgreSQL (scripts/scale/eight.sh): revocation fan-out, a
registration race, a lockout counted across instances. Prints ok/FAIL lines and the figures;
exits 1 on any failure. Usage: eight_check.py HTTP_PORTS LINE_PORTS (comma-separated)."""
import base64
import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from authd_client import LineConnection  # noqa: E402
from checks import check, finish  # noqa: E402

http_ports = [int(p) for p in sys.argv[1].split(",")]
line_ports = [int(p) for p in sys.argv[2].split(",")]
suffix = sys.argv[3]


def post(port, path, body, token=None):
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
            return response.status, json.loads(data) if data else None
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


lines = [LineConnection(port) for port in line_ports]
password = "eight instances pw 1"

# Revocation fan-out: a logout on one instance, then every instance asked until all refuse.
user = "eight" + suffix
status, _ = post(http_ports[0], "/register", {"username": user, "email": f"{user}@example.com", "password": password})
check(status == 201, "register")
delays = []
for round in range(200):
    origin = round % len(http_ports)
    status, body = post(http_ports[origin], "/login", {"username": user, "password": password})
    token = body["access_token"]
    check_all = all(line.ask(f"VERIFY\tv\t{token}\n").startswith("OK") for line in lines) if round < 3 else True
    if round < 3:
        check(check_all, f"a fresh token verifies on all eight (round {round})")
    status, _ = post(http_ports[origin], "/logout", {}, token)
    assert status == 204, status
    logged_out = time.monotonic()
    pending = set(range(len(lines)))
    while pending:
        for index in list(pending):
            if lines[index].ask(f"VERIFY\tv\t{token}\n").startswith("NO\tv\treason=revoked"):
                pending.discard(index)
        if time.monotonic() - logged_out > 10:
            break
    delays.append(time.monotonic() - logged_out)
    check(not pending, f"logout {round} refused by all eight") if pending else None
delays.sort()
p50 = statistics.median(delays)
p99 = delays[int(len(delays) * 0.99) - 1]
print(f"figure: revocation fan-out over 8 instances, 200 logouts: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
      f"max {delays[-1] * 1000:.1f} ms")
check(p99 < 1.0, "revocation reaches all eight instances within 1 s (p99)")

# Registration race: the same name at all eight at once, twenty times: exactly one 201 each time.
wins = []
for round in range(20):
    name = f"race{suffix}r{round}"
    results = []
    barrier = threading.Barrier(len(http_ports))

    def register(port, barrier=barrier, results=results, name=name):
        barrier.wait()
        results.append(post(port, "/register", {"username": name, "email": f"{name}-{port}@example.com",
                                                "password": password})[0])

    threads = [threading.Thread(target=register, args=(port,)) for port in http_ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wins.append((results.count(201), results.count(409)))
check(all(win == (1, 7) for win in wins), f"twenty races of eight registrations: one 201 and seven 409 each ({wins[:3]}…)")

# Lockout: the imap stack locks after 10 failures per account and address; 10 wrong passwords
# sent at once, spread over the eight, lock the account on all of them.
locked = "lock" + suffix
status, _ = post(http_ports[0], "/register", {"username": locked, "email": f"{locked}@example.com", "password": password})
wrong = base64.b64encode(b"wrong password").decode()
right = base64.b64encode(password.encode()).decode()
replies = []
barrier = threading.Barrier(10)


def attempt(index):
    connection = LineConnection(line_ports[index % len(line_ports)])
    barrier.wait()
    replies.append(connection.ask(f"AUTH\ta\tservice=imap\tuser={locked}\tresp={wrong}\n"))


threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
check(all(reply == "NO\ta\treason=auth_failed" for reply in replies), "ten wrong passwords at once: ten refusals")
print(f"locked={locked}")
refused = [line.ask(f"AUTH\tr\tservice=imap\tuser={locked}\tresp={right}\n") for line in lines]
check(all(reply == "NO\tr\treason=auth_failed" for reply in refused), "then the right password is refused on all eight")
finish()
