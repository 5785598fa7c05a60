"""Operations checks against a running authd (phase `traffic`), then against its log once it has
stopped (phase `logs`). What must never reach the log is collected in OPS_WORK/secrets.json."""
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

from authd_client import request
from checks import require as check

WORK = os.environ["OPS_WORK"]
SECRETS = os.path.join(WORK, "secrets.json")



def call(method, path, body=None, headers=None):
    """(status, response headers, body text)."""
    return request(method, path, body, headers=headers)


def metrics():
    """The scrape as {series: value}; the series text is the metric name plus its labels."""
    status, headers, text = call("GET", "/metrics")
    check(status == 200 and headers.get("Content-Type", "").startswith("text/plain"), "GET /metrics")
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            values[series] = float(value)
    return values, text


def moved(before, after, series, by=None):
    delta = after.get(series, 0) - before.get(series, 0)
    return delta == by if by is not None else delta > 0


def traffic():
    keep = []  # everything that must not be logged
    name = "ops" + secrets.token_hex(4)
    password = "ops password " + secrets.token_hex(6)
    wrong = "wrong password " + secrets.token_hex(6)
    keep += [password, wrong]
    for path in os.environ["OPS_SECRET_FILES"].split(":"):
        material = open(path).read().strip()
        keep.append(material)
        raw = material.encode()
        keep.append(", ".join(str(b) for b in raw[:12]))  # as a Swift [UInt8] would print
        keep.append(raw[:16].hex())
    database_password = urllib.parse.urlparse(os.environ["AUTHD_DATABASE_URL"]).password
    if database_password:
        keep.append(database_password)

    before, _ = metrics()
    status, _, _ = call("POST", "/register", {"username": name, "email": f"{name}@example.com", "password": password})
    check(status == 201, "register")
    status, _, _ = call("POST", "/register", {"username": name, "email": f"{name}@example.com", "password": password})
    check(status == 409, "register again: 409")
    status, _, _ = call("POST", "/login", {"username": name, "password": wrong})
    check(status == 401, "wrong password: 401")
    status, headers, text = call("POST", "/login", {"username": name, "password": password},
                                 {"X-Request-Id": "ops-login-1"})
    check(status == 200, "login")
    tokens = json.loads(text)
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    keep += [access, access.rsplit(".", 1)[1], refresh]
    bearer = {"Authorization": "Bearer " + access}

    # X-Request-Id: a sane one is honoured and echoed, anything else replaced by a generated one.
    status, headers, _ = call("GET", "/protected", headers={**bearer, "X-Request-Id": "ops-req-42"})
    check(status == 200 and headers.get("X-Request-Id") == "ops-req-42", "X-Request-Id is echoed")
    status, headers, _ = call("GET", "/protected", headers=bearer)
    generated = headers.get("X-Request-Id", "")
    # Hummingbird writes its ids as unpadded hex: a leading zero digit makes them shorter.
    check(re.fullmatch(r"[0-9a-f]{16,32}", generated) is not None, f"X-Request-Id is generated ({generated})")
    status, headers, _ = call("GET", "/protected", headers={**bearer, "X-Request-Id": "bad id\twith tab"})
    check(headers.get("X-Request-Id") not in (None, "bad id\twith tab"), "an unsafe X-Request-Id is replaced")
    for _ in range(4):
        call("GET", "/protected", headers=bearer)

    # GET /authz for nginx auth_request.
    status, headers, _ = call("GET", "/authz", headers=bearer)
    check(status == 204 and headers.get("X-Auth-User") == name and headers.get("X-Auth-Roles") == "user"
          and headers.get("X-Auth-User-Id", "").isdigit(), "/authz: 204 with X-Auth-User, -User-Id, -Roles")
    status, headers, _ = call("GET", "/authz", headers={"Cookie": "theme=dark; access_token=" + access})
    check(status == 204 and headers.get("X-Auth-User") == name, "/authz: the access_token cookie works")
    status, _, _ = call("GET", "/authz")
    check(status == 401, "/authz: 401 without a token")
    status, _, _ = call("GET", "/authz", headers={"Authorization": "Bearer " + access[:-2]})
    check(status == 401, "/authz: 401 with a broken token")
    status, _, _ = call("GET", "/authz", headers={**bearer, "X-Required-Role": "admin"})
    check(status == 403, "/authz: 403 without the X-Required-Role role")
    status, _, _ = call("GET", "/authz", headers={**bearer, "X-Required-Role": "admin, user"})
    check(status == 204, "/authz: any listed role suffices")

    # MFA set-up puts a TOTP secret on the wire; refresh and logout move the revocation state.
    status, _, text = call("POST", "/mfa/totp/setup", {}, bearer)
    check(status == 200, "MFA setup")
    keep.append(json.loads(text)["secret"])
    status, _, text = call("POST", "/token/refresh", {"refresh_token": refresh})
    check(status == 200, "refresh")
    refreshed = json.loads(text)
    keep += [refreshed["access_token"], refreshed["refresh_token"]]
    line = subprocess.run([".build/debug/authctl", "verify", "--addr", os.environ["AUTHD_LINE"], access],
                          capture_output=True, text=True)
    check(line.returncode == 0, "VERIFY over the line protocol")
    status, _, _ = call("POST", "/logout", {}, {"Authorization": "Bearer " + refreshed["access_token"]})
    check(status in (200, 204), "logout")

    after, text = metrics()
    protected = 'authd_http_requests_total{route="/protected",method="GET",status="200"}'
    check(moved(before, after, protected, by=7), "metrics: 7 more GET /protected 200")
    check(moved(before, after, 'authd_http_requests_total{route="/authz",method="GET",status="204"}', by=3),
          "metrics: /authz 204 counted")
    check(moved(before, after, 'authd_http_request_duration_seconds_count{route="/login",method="POST",status="200"}'),
          "metrics: login latency histogram")
    check(moved(before, after, 'authd_auth_attempts_total{service="http",result="success"}', by=1)
          and moved(before, after, 'authd_auth_attempts_total{service="http",result="refused"}', by=1),
          "metrics: one login success and one refusal")
    check(moved(before, after, 'authd_line_replies_total{command="VERIFY",status="OK"}', by=1),
          "metrics: line-protocol VERIFY OK counted")
    violations = 'authd_db_errors_total{kind="server_23"}'
    check(after.get(violations, 0) == before.get(violations, 0),
          "metrics: the taken username is a 409 before any insert (no constraint violation)")
    check(moved(before, after, "authd_hashing_wait_seconds_count"), "metrics: hashing pool wait recorded")
    check(after.get("authd_revocation_listener_connected") == 1, "metrics: revocation listener connected")
    check(after.get('authd_revocation_entries{kind="token"}', 0) >= 1, "metrics: the logout's revocation is held")
    check("authd_db_connections_in_use" in after and "authd_line_connections" in after,
          "metrics: database pool and line connection gauges")
    check(name not in text and access not in text, "metrics: no user names or tokens in the scrape")
    json.dump({"keep": keep, "user": name}, open(SECRETS, "w"))


def logs():
    saved = json.load(open(SECRETS))
    text = open(os.environ["OPS_LOG"]).read()
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            event = json.loads(line)
        except ValueError:
            check(False, f"log line {number} is JSON: {line[:200]}")
        check(isinstance(event, dict) and {"time", "level", "logger", "message"} <= event.keys(),
              f"log line {number} has time, level, logger, message") if not isinstance(event, dict) or not (
            {"time", "level", "logger", "message"} <= event.keys()) else None
        events.append(event)
    print(f"ok: all {len(events)} log lines are JSON objects with time, level, logger and message")
    leaked = [secret for secret in saved["keep"] if secret and secret in text]
    check(not leaked, f"no password, token, TOTP secret, key or database password in the log ({len(saved['keep'])} checked)")
    requests = [e for e in events if e["message"] == "request"]
    tagged = [e for e in requests if e.get("request_id") == "ops-req-42"]
    check(len(tagged) == 1 and tagged[0].get("route") == "/protected" and tagged[0].get("status") == "200"
          and tagged[0].get("method") == "GET" and tagged[0].get("user_id", "").isdigit()
          and "duration_ms" in tagged[0], "the request event has id, method, route, status, duration and user id")
    started = [e for e in events if e["message"] == "session started"]
    check(any(e.get("request_id") == "ops-login-1" for e in started),
          "log lines from inside a use case carry the request's id")


{"traffic": traffic, "logs": logs}[sys.argv[1]]()
