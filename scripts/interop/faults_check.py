"""Load and checks for scripts/interop/faults.sh.

  load SECONDS OUT.json   registrations (4 threads) and GET /protected (2 threads) against AUTHD_URL
                          for SECONDS; writes every registration's username and outcome
  verify OUT.json         every 201 exists in PostgreSQL with its role; no attempted user exists
                          half-written; prints the counts
  registered-within S T  a new registration succeeds within S seconds of epoch time T
  exhaust                 with the users table locked: concurrent logins get 503 (not a hang) while
                          GET /protected keeps answering 200
"""
import json
import os
import secrets
import subprocess
import sys
import threading
import time

from authd_client import request
from checks import require as check


def call(method, path, body=None, token=None, timeout=15):
    """(status, body text); ("error", the exception's name) when the connection was refused, reset or
    timed out, since then the outcome is unknown (authd killed mid-request)."""
    try:
        status, _, text = request(method, path, body, token, timeout=timeout)
    except OSError as error:
        return "error", type(error).__name__
    return status, text


def load(seconds, out):
    token = os.environ["FAULTS_TOKEN"]
    deadline = time.monotonic() + seconds
    outcomes, statuses, lock = [], {}, threading.Lock()

    def registrations():
        while time.monotonic() < deadline:
            name = "f" + secrets.token_hex(6)
            status, _ = call("POST", "/register",
                             {"username": name, "email": f"{name}@example.com", "password": "fault test pw 1"})
            with lock:
                outcomes.append((name, status))

    def verifications():
        while time.monotonic() < deadline:
            status, _ = call("GET", "/protected", token=token)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
            time.sleep(0.005)

    threads = [threading.Thread(target=registrations) for _ in range(4)]
    threads += [threading.Thread(target=verifications) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_status = {}
    for _, status in outcomes:
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    json.dump({"registrations": outcomes, "protected": {str(k): v for k, v in statuses.items()}}, open(out, "w"))
    print(f"load: registrations {by_status}, GET /protected {statuses}")
    unexpected = {str(status) for _, status in outcomes if status not in (201, 503, "error")}
    check(not unexpected, f"registrations got 201, 503 or a lost connection, nothing else ({unexpected or 'none'})")
    check(set(statuses) <= {200, 503, "error"}, "GET /protected answered 200 or 503 throughout")


def psql(sql):
    # On standard input: with authd killed, refused registrations loop fast, and their names can
    # outgrow the argument list.
    return subprocess.run([os.environ["AUTHD_PG_BINDIR"] + "/psql", "-qAt", "-v", "ON_ERROR_STOP=1",
                           os.environ["AUTHD_DATABASE_URL"], "-f", "-"],
                          input=sql, check=True, capture_output=True, text=True).stdout.split()


def verify(out):
    data = json.load(open(out))
    attempted = [name for name, _ in data["registrations"]]
    created = {name for name, status in data["registrations"] if status == 201}
    names = ",".join(f"'{name}'" for name in attempted) or "''"
    present = set(psql(f"SELECT username FROM users WHERE username IN ({names})"))
    complete = set(psql(f"""SELECT u.username FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'user'
                             WHERE u.username IN ({names})"""))
    check(created <= present, f"every registration answered 201 exists ({len(created)})")
    check(present == complete, f"no attempted registration exists half-written ({len(present)} present, "
                               f"{len(present - created)} of them with a lost or failed answer)")
    orphans = psql("SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id)")
    check(orphans == ["0"], "no user without a role in the whole table")


def exhaust():
    token = os.environ["FAULTS_TOKEN"]
    # Hold an exclusive lock on users for 6 s: every login's query waits on it, holding its connection.
    holder = subprocess.Popen([os.environ["AUTHD_PG_BINDIR"] + "/psql", "-qAt", os.environ["AUTHD_DATABASE_URL"],
                               "-c", "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;"])
    time.sleep(0.5)
    results, lock = [], threading.Lock()

    def attempt():
        start = time.monotonic()
        status, body = call("POST", "/login", {"username": "nobody", "password": "whatever pw 1"}, timeout=30)
        with lock:
            results.append((status, round(time.monotonic() - start, 2), body[:80]))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    protected = [call("GET", "/protected", token=token, timeout=5)[0] for _ in range(5)]
    for thread in threads:
        thread.join()
    holder.wait()
    statuses = sorted(str(status) for status, _, _ in results)
    print(f"exhaust: {sorted(results)}")
    unavailable = [r for r in results if r[0] == 503]
    check(len(results) == 8 and all(r[0] in (401, 503) for r in results),
          f"every login is answered, 401 once the lock is gone or 503 while the pool is exhausted ({statuses})")
    check(len(unavailable) >= 1 and all(r[1] < 4 for r in unavailable),
          "logins that find no free connection get 503 after the pool timeout, not a hang")
    check('"unavailable"' in unavailable[0][2], "with error code unavailable")
    check(protected == [200] * 5, f"GET /protected keeps answering from memory meanwhile ({protected})")


def registered_within(seconds, since):
    """Registers a fresh user until it gets 201; checks that happens within SECONDS of SINCE."""
    while True:
        name = "f" + secrets.token_hex(6)
        status, _ = call("POST", "/register", {"username": name, "email": f"{name}@example.com",
                                              "password": "fault test pw 1"}, timeout=5)
        took = time.time() - since
        if status == 201 or took > seconds:
            break
        time.sleep(0.05)
    check(status == 201 and took <= seconds, f"a registration succeeds {took:.2f} s after PostgreSQL is back "
                                             f"(limit {seconds:.0f} s)")


command = sys.argv[1]
if command == "registered-within":
    registered_within(float(sys.argv[2]), float(sys.argv[3]))
elif command == "load":
    load(float(sys.argv[2]), sys.argv[3])
elif command == "verify":
    verify(sys.argv[2])
else:
    exhaust()
