"""The soak's load and sampler (scripts/scale/soak.sh): a steady mixed load on one authd for
SOAK_MINUTES, and every 10 s one CSV row of the server's RSS, open file descriptors, database
connections and the window's p99 latency of GET /protected and TCP VERIFY. Then a PNG plot and a
verdict: the run fails when RSS, file descriptors or database connections grow over the second
half faster than the stated slopes (a leak shows as a steady climb; warm-up is the first half).

Usage: soak.py HTTP_PORT LINE_PORT PID DATABASE_URL CSV PNG"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from authd_client import LineConnection  # noqa: E402

http_port, line_port, pid, database_url, csv_path, png_path = sys.argv[1:]
minutes = float(os.environ.get("SOAK_MINUTES", "30"))
interval = 10.0
# Growth allowed over the second half, per minute.
LIMITS = {"rss_mib": 0.5, "fds": 0.5, "db_connections": 0.2}

stop = threading.Event()
lock = threading.Lock()
window = {"protected": [], "verify": [], "errors": 0, "requests": 0}
password = "soak password 1"
suffix = os.urandom(4).hex()


def record(kind, seconds):
    with lock:
        window[kind].append(seconds)
        window["requests"] += 1


def error():
    with lock:
        window["errors"] += 1


def call(connection, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    return response.status, json.loads(data) if data and data[:1] == b"{" else None


def session(user):
    connection = http.client.HTTPConnection("127.0.0.1", int(http_port), timeout=30)
    status, body = call(connection, "POST", "/login", {"username": user, "password": password})
    assert status == 200, status
    return connection, body["access_token"]


# Access tokens live 15 minutes: the steady load logs in again well before.
RENEW_SECONDS = 600


def protected_load(user, per_second):
    """GET /protected on a keep-alive connection, paced."""
    connection, token = session(user)
    renewed = time.monotonic()
    pause = 1.0 / per_second
    while not stop.is_set():
        started = time.monotonic()
        if started - renewed > RENEW_SECONDS:
            connection, token = session(user)
            renewed = started
        try:
            status, _ = call(connection, "GET", "/protected", token=token)
            if status != 200:
                error()
            record("protected", time.monotonic() - started)
        except Exception:
            error()
            connection = http.client.HTTPConnection("127.0.0.1", int(http_port), timeout=30)
        time.sleep(max(0.0, pause - (time.monotonic() - started)))


def verify_load(user, per_second):
    """VERIFY on one line-protocol connection, ten per batch, paced."""
    line = LineConnection(line_port)
    _, token = session(user)
    renewed = time.monotonic()
    pause = 10.0 / per_second
    while not stop.is_set():
        started = time.monotonic()
        if started - renewed > RENEW_SECONDS:
            _, token = session(user)
            renewed = started
        for reply in line.pipeline([f"VERIFY\t{i}\t{token}" for i in range(10)]):
            if not reply.startswith("OK"):
                error()
        elapsed = time.monotonic() - started
        for _ in range(10):
            record("verify", elapsed)
        time.sleep(max(0.0, pause - elapsed))


def churn_load(per_second):
    """Registrations, logins, refreshes and logouts: the database, the hashing pool and
    revocation fan-out, paced."""
    connection = http.client.HTTPConnection("127.0.0.1", int(http_port), timeout=30)
    count = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            name = f"soak{suffix}c{count % 50}"
            if count < 50:
                call(connection, "POST", "/register", {"username": name, "email": f"{name}@example.com",
                                                       "password": password})
            status, body = call(connection, "POST", "/login", {"username": name, "password": password})
            if status != 200:
                error()
            else:
                status, refreshed = call(connection, "POST", "/token/refresh",
                                         {"refresh_token": body["refresh_token"]})
                token = refreshed["access_token"] if status == 200 else body["access_token"]
                if call(connection, "POST", "/logout", {}, token)[0] != 204:
                    error()
        except Exception:
            error()
            connection = http.client.HTTPConnection("127.0.0.1", int(http_port), timeout=30)
        count += 1
        time.sleep(max(0.0, 1.0 / per_second - (time.monotonic() - started)))


def p99(values):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))] * 1000


def sample():
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    connections = int(subprocess.run(
        ["psql", database_url, "-tA", "-c",
         "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"],
        capture_output=True, text=True, check=True).stdout.strip())
    with lock:
        row = (rss, fds, connections, p99(window["protected"]), p99(window["verify"]), window["requests"],
               window["errors"])
        window.update(protected=[], verify=[], requests=0, errors=0)
    return row


def slope(xs, ys):
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    denominator = sum((x - mean_x) ** 2 for x in xs) or 1.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / denominator


# Users for the steady load, then the load itself.
setup = http.client.HTTPConnection("127.0.0.1", int(http_port), timeout=30)
users = [f"soak{suffix}u{i}" for i in range(4)]
for user in users:
    call(setup, "POST", "/register", {"username": user, "email": f"{user}@example.com", "password": password})
threads = [threading.Thread(target=protected_load, args=(user, 50), daemon=True) for user in users]
threads += [threading.Thread(target=verify_load, args=(users[0], 400), daemon=True),
            threading.Thread(target=churn_load, args=(2,), daemon=True)]
for thread in threads:
    thread.start()

rows = []
started = time.monotonic()
with open(csv_path, "w") as csv:
    csv.write("minute,rss_mib,fds,db_connections,protected_p99_ms,verify_p99_ms,requests,errors\n")
    while time.monotonic() - started < minutes * 60:
        time.sleep(interval - ((time.monotonic() - started) % interval))
        row = (round((time.monotonic() - started) / 60, 2),) + sample()
        rows.append(row)
        csv.write(",".join(f"{value:.2f}" if isinstance(value, float) else str(value) for value in row) + "\n")
        csv.flush()
stop.set()

import matplotlib  # noqa: E402  (PyPI, only for the plot)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

minutes_axis = [row[0] for row in rows]
figure, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True)
series = [("RSS (MiB)", 1), ("open file descriptors", 2), ("database connections", 3)]
for axis, (label, index) in zip(axes[:3], series, strict=True):
    axis.plot(minutes_axis, [row[index] for row in rows])
    axis.set_ylabel(label)
    axis.set_ylim(bottom=0)
    axis.grid(True, alpha=0.3)
axes[3].plot(minutes_axis, [row[4] for row in rows], label="GET /protected")
axes[3].plot(minutes_axis, [row[5] for row in rows], label="VERIFY (batch of 10)")
axes[3].set_ylabel("p99 per 10 s (ms)")
axes[3].set_ylim(bottom=0)
axes[3].legend()
axes[3].grid(True, alpha=0.3)
axes[3].set_xlabel("minutes")
requests = sum(row[6] for row in rows)
errors = sum(row[7] for row in rows)
figure.suptitle(f"authd soak: {minutes:g} min, {requests:,} requests, {errors} errors")
figure.tight_layout()
figure.savefig(png_path, dpi=90)

half = [row for row in rows if row[0] >= minutes / 2] or rows
verdict = 0
for name, index in [("rss_mib", 1), ("fds", 2), ("db_connections", 3)]:
    growth = slope([row[0] for row in half], [row[index] for row in half])
    ok = growth <= LIMITS[name]
    verdict |= 0 if ok else 1
    print(f"{'ok' if ok else 'FAIL'}: {name} grows {growth:.3f}/min over the second half (limit {LIMITS[name]}/min)")
ok = errors == 0
verdict |= 0 if ok else 1
print(f"{'ok' if ok else 'FAIL'}: {requests:,} requests, {errors} errors")
print(f"figure: RSS {rows[0][1]:.1f} -> {rows[-1][1]:.1f} MiB, fds {rows[0][2]} -> {rows[-1][2]}, "
      f"db connections max {max(row[3] for row in rows)}, GET /protected p99 median "
      f"{sorted(row[4] for row in rows)[len(rows) // 2]:.2f} ms, max {max(row[4] for row in rows):.2f} ms")
sys.exit(verdict)
