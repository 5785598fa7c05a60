"""Load and checks for scripts/scale/netfaults.sh. Daemons are named by "HTTP_URL,LINE_HOST:PORT".

  setup DAEMON STATE.json        registers the login users, logs one in; writes the token
  load SECONDS STATE.json OUT.json DAEMON...
                                 a mixed load on every daemon for SECONDS: registrations and logins
                                 (need the database), GET /protected and line VERIFY (from memory);
                                 every request's kind, daemon, start, duration and status go to OUT
  report OUT.json PHASE RULE...  prints p50/p99/max per kind and checks the rules:
                                   all-ok         every request succeeded
                                   bound=S        requests arriving while the link was down were
                                                  answered within S s; every answer a success or 503/TEMP
                                   hang=S         no request at all took longer than S s
                                   memory-ok=I    daemon I's verifications all succeeded
                                   stale=I:A:B    daemon I's verifications succeeded until the first
                                                  refusal, between A and B s after the cut, and were
                                                  refused from then on until the link came back
                                                  (none started after a refusal was answered
                                                  succeeded)
  recovered DAEMON SECONDS T0    a registration and a login succeed within SECONDS of epoch T0
"""
import json
import os
import secrets
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from authd_client import LineConnection, request  # noqa: E402
from checks import require as check  # noqa: E402

PASSWORD = "netfault test pw 1"
USERS = 8



def call(base, method, path, body=None, token=None, timeout=30):
    """(status, body text), or ("error:<kind>", "") when no answer came (refused, reset, timed out)."""
    try:
        status, _, text = request(method, path, body, token, timeout=timeout, base=base)
        return status, text
    except OSError as error:
        return "error:" + type(error).__name__, ""


def register(base, name):
    return call(base, "POST", "/register", {"username": name, "email": f"{name}@example.com", "password": PASSWORD})


def setup(daemon, state_path):
    base = daemon.split(",")[0]
    suffix = secrets.token_hex(3)
    users = [f"nf{suffix}{index}" for index in range(USERS)]
    for user in users:
        check(register(base, user)[0] == 201, f"registered {user}")
    status, body = call(base, "POST", "/login", {"username": users[0], "password": PASSWORD})
    check(status == 200, "logged in")
    json.dump({"users": users, "token": json.loads(body)["access_token"]}, open(state_path, "w"))


class Line:
    """One line-protocol connection, past its greeting (VERSION, CAPS); reopened after a failure."""

    def __init__(self, address):
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.connection = None

    def ask(self, line):
        try:
            if self.connection is None:
                self.connection = LineConnection(self.port, host=self.host)
            return self.connection.ask(line).split("\t")[0]
        except OSError as error:
            self.connection = None
            return "error:" + type(error).__name__


def load(seconds, state_path, out, daemons):
    state = json.load(open(state_path))
    deadline = time.monotonic() + seconds
    records, registrations, lock = [], [], threading.Lock()

    def record(kind, index, start, status):
        with lock:
            records.append((kind, index, start, time.time() - start, status))

    def registering(index, base):
        while time.monotonic() < deadline:
            name = "nfr" + secrets.token_hex(6)
            start = time.time()
            status, _ = register(base, name)
            record("register", index, start, status)
            with lock:
                registrations.append((name, status))

    def logging_in(index, base):
        turn = 0
        while time.monotonic() < deadline:
            start = time.time()
            user = state["users"][turn % len(state["users"])]
            status, _ = call(base, "POST", "/login", {"username": user, "password": PASSWORD})
            record("login", index, start, status)
            turn += 1

    def protected(index, base):
        while time.monotonic() < deadline:
            start = time.time()
            status, _ = call(base, "GET", "/protected", token=state["token"])
            record("protected", index, start, status)
            time.sleep(0.02)

    def verifying(index, address):
        line = Line(address)
        while time.monotonic() < deadline:
            start = time.time()
            record("verify", index, start, line.ask(f"VERIFY\tv\t{state['token']}\n"))
            time.sleep(0.02)

    threads = []
    for index, daemon in enumerate(daemons):
        base, line = daemon.split(",")
        threads += [threading.Thread(target=registering, args=(index, base)) for _ in range(2)]
        threads += [threading.Thread(target=logging_in, args=(index, base)) for _ in range(2)]
        threads += [threading.Thread(target=protected, args=(index, base)),
                    threading.Thread(target=verifying, args=(index, line))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump({"requests": records, "registrations": registrations}, open(out, "w"))


SUCCESS = {"register": {201}, "login": {200}, "protected": {200}, "verify": {"OK"}}
REFUSED = {"register": {503}, "login": {503}, "protected": {503}, "verify": {"TEMP"}}


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else 0.0


def report(out, phase, rules):
    requests = json.load(open(out))["requests"]
    for kind in ("register", "login", "protected", "verify"):
        rows = [r for r in requests if r[0] == kind]
        durations = [r[3] * 1000 for r in rows]
        ok = sum(1 for r in rows if r[4] in SUCCESS[kind])
        refused = sum(1 for r in rows if r[4] in REFUSED[kind])
        print(f"{phase}: {kind:9} {len(rows):5} requests, {ok} ok, {refused} refused, "
              f"p50 {percentile(durations, 0.5):7.1f} ms, p99 {percentile(durations, 0.99):7.1f} ms, "
              f"max {max(durations, default=0):7.1f} ms")
    for rule in rules:
        name, _, argument = rule.partition("=")
        if name == "all-ok":
            bad = [r for r in requests if r[4] not in SUCCESS[r[0]]]
            check(not bad, f"{phase}: every request succeeded ({len(requests)}; first failures {bad[:3]})")
        elif name == "bound":
            cut, restored = float(os.environ["NETFAULTS_CUT"]), float(os.environ["NETFAULTS_RESTORED"])
            during = sorted((r for r in requests if cut <= r[2] < restored), key=lambda r: -r[3])
            slowest = ", ".join(f"{r[0]} at +{r[2] - cut:.2f} s: {r[3]:.2f} s {r[4]}" for r in during[:3])
            check(during[0][3] <= float(argument),
                  f"{phase}: requests arriving while the link was down were answered within {argument} s "
                  f"(of {len(during)}, the slowest: {slowest})")
            odd = [r for r in requests if r[4] not in SUCCESS[r[0]] | REFUSED[r[0]]]
            check(not odd, f"{phase}: every request succeeded or was refused as unavailable ({odd[:3]})")
        elif name == "hang":
            slowest = max(r[3] for r in requests)
            check(slowest <= float(argument),
                  f"{phase}: no request at all, in flight at the cut included, took longer than {argument} s "
                  f"(slowest {slowest:.2f} s)")
        elif name == "memory-ok":
            index = int(argument)
            rows = [r for r in requests if r[1] == index and r[0] in ("protected", "verify")]
            bad = [r for r in rows if r[4] not in SUCCESS[r[0]]]
            check(rows and not bad, f"{phase}: daemon {index} verified from memory throughout ({len(rows)}; {bad[:3]})")
        elif name == "stale":
            index, earliest, latest = argument.split(":")
            index = int(index)
            cut, restored = float(os.environ["NETFAULTS_CUT"]), float(os.environ["NETFAULTS_RESTORED"])
            rows = sorted((r for r in requests if r[1] == index and r[0] in ("protected", "verify")
                           and r[2] + r[3] < restored), key=lambda r: r[2])
            refused = [r for r in rows if r[4] in REFUSED[r[0]]]
            check(bool(refused), f"{phase}: daemon {index} refused verification once stale")
            onset = refused[0][2] - cut
            print(f"{phase}: daemon {index} first refused verification {onset:.1f} s after the cut")
            check(float(earliest) <= onset <= float(latest),
                  f"{phase}: ...between {earliest} and {latest} s after the cut")
            # A request is judged somewhere between its start and its answer, as the client saw them
            # (a loaded client can send late): a success is wrong only when it started after some
            # refusal had already been answered.
            answered = min(r[2] + r[3] for r in refused)
            wrong = [r for r in rows if r[4] not in SUCCESS[r[0]] | REFUSED[r[0]]
                     or (r[4] in SUCCESS[r[0]] and r[2] > answered)]
            shown = ", ".join(f"{r[0]} at +{r[2] - cut:.2f} s for {r[3]:.2f} s: {r[4]}" for r in wrong[:5])
            check(not wrong,
                  f"{phase}: daemon {index} answered from memory, then refused from the first refusal"
                  f" (answered +{answered - cut:.2f} s) until the link came back"
                  f" (+{restored - cut:.2f} s; otherwise answered: {shown or 'none'})")


def recovered(daemon, seconds, since):
    base = daemon.split(",")[0]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if register(base, "nfv" + secrets.token_hex(6))[0] == 201:
            state = json.load(open(os.environ["NETFAULTS_STATE"]))
            if call(base, "POST", "/login", {"username": state["users"][0], "password": PASSWORD})[0] == 200:
                print(f"recovered: registration and login succeed {time.time() - since:.1f} s after the link came back")
                return
        time.sleep(0.2)
    check(False, f"registration and login succeed within {seconds} s of the link coming back")


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup(*arguments)
    elif command == "load":
        load(float(arguments[0]), arguments[1], arguments[2], arguments[3:])
    elif command == "report":
        report(arguments[0], arguments[1], arguments[2:])
    elif command == "recovered":
        recovered(arguments[0], float(arguments[1]), float(arguments[2]))
    else:
        sys.exit(__doc__)
