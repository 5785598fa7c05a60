"""Browser-shaped and connection-shaped measures of one authd (scripts/bench/flows.sh starts it):

sign-ins   SESSIONS portal sign-ins (GET /ui/login for the form, POST it), each without a cookie,
           so each opens an SSO session of its own; authd's RSS before and after.
code flow  OpenID Connect's authorization code flow with PKCE as a relying party runs it for a
           browser that is signed in: GET /oauth2/authorize with the SSO cookie (302 with a code),
           then POST /oauth2/token (an ID token and an access token), back to back for SECONDS.
idle       IDLE connections to the line protocol (each greeted); then, those closed, as many to
           HTTP (each served one GET /healthz, then kept alive); authd's RSS growth with each.

CPU time is read from /proc for authd (every thread) and for PostgreSQL (the postmaster and its
children): the per-core figures are requests over authd's CPU seconds, which a busy machine
blurs far less than the wall-clock rate. Clients are WORKERS processes, one request at a time.

Usage: flows.py HTTP_PORT LINE_PORT AUTHD_PID POSTMASTER_PID CLIENT_ID CLIENT_SECRET REDIRECT_URI
       USER PASSWORD SESSIONS IDLE SECONDS WORKERS
Prints one JSON object."""
import base64
import hashlib
import http.client
import json
import multiprocessing
import os
import re
import resource
import secrets
import socket
import sys
import time
from urllib.parse import parse_qs, urlencode, urlparse

(http_port, line_port, authd_pid, postmaster_pid, client_id, client_secret, redirect_uri, user, password,
 sessions, idle, seconds, workers) = sys.argv[1:]
http_port, line_port, sessions, idle, workers = int(http_port), int(line_port), int(sessions), int(idle), int(workers)
seconds = float(seconds)
basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def task_ns(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def postgres_ns():
    """The postmaster's and its children's CPU time (backends that ended are not counted)."""
    total = task_ns(postmaster_pid)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                parent = f.read().rsplit(")", 1)[1].split()[1]
            if parent == postmaster_pid:
                total += task_ns(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def cpu():
    return task_ns(authd_pid), postgres_ns()


def rss_mib():
    with open(f"/proc/{authd_pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS")


def cookie(response, name):
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


def sign_in(count):
    """count sign-ins on one keep-alive connection; returns the SSO cookies."""
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
    cookies = []
    for _ in range(count):
        connection.request("GET", "/ui/login")
        response = connection.getresponse()
        page = response.read().decode()
        assert response.status == 200, f"GET /ui/login: {response.status}"
        csrf_cookie = cookie(response, "authd_csrf")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        body = urlencode({"csrf": csrf, "username": user, "password": password})
        connection.request("POST", "/ui/login", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"authd_csrf={csrf_cookie}"})
        response = connection.getresponse()
        response.read()
        sso = cookie(response, "authd_sso")
        assert response.status in (302, 303) and sso, f"POST /ui/login: {response.status}"
        cookies.append(sso)
    return cookies


def code_flow(job):
    """Code flows with the given SSO cookies, round robin, until the deadline; returns the count."""
    sso_cookies, deadline = job
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
    done = 0
    while time.monotonic() < deadline:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(12)
        query = urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "openid",
            "state": state, "nonce": secrets.token_urlsafe(12), "code_challenge": challenge,
            "code_challenge_method": "S256"})
        connection.request("GET", "/oauth2/authorize?" + query,
                           headers={"Cookie": f"authd_sso={sso_cookies[done % len(sso_cookies)]}"})
        response = connection.getresponse()
        response.read()
        location = response.getheader("Location") or ""
        answer = parse_qs(urlparse(location).query)
        assert response.status == 302 and answer.get("state") == [state] and "code" in answer, \
            f"authorize: {response.status} {location}"
        body = urlencode({"grant_type": "authorization_code", "code": answer["code"][0],
                          "redirect_uri": redirect_uri, "code_verifier": verifier})
        connection.request("POST", "/oauth2/token", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Authorization": basic})
        response = connection.getresponse()
        tokens = json.loads(response.read())
        assert response.status == 200 and "id_token" in tokens, f"token: {response.status} {tokens}"
        done += 1
    return done


def idle_connections(count):
    """RSS growth with count greeted line connections; then, those closed, with count kept-alive
    HTTP ones (each served one GET /healthz)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 1024)), hard))
    before = rss_mib()
    line = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", line_port), timeout=30)
        greeting = b""
        while greeting.count(b"\n") < 2:
            chunk = s.recv(4096)
            assert chunk, "a line connection was closed before its greeting"
            greeting += chunk
        line.append(s)
    line_growth = rss_mib() - before
    for s in line:  # every one still open: a PING is answered
        s.sendall(b"PING\tidle\n")
    alive = sum(s.recv(64).startswith(b"OK\tidle") for s in line)
    assert alive == count, f"{count - alive} idle line connections were closed"
    for s in line:
        s.close()
    time.sleep(1)
    before = rss_mib()
    web = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", http_port), timeout=30)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.endswith(b"}"):
            chunk = s.recv(4096)
            assert chunk, "an HTTP connection was closed before its answer"
            reply += chunk
        web.append(s)
    http_growth = rss_mib() - before
    for s in web:
        s.close()
    return line_growth, http_growth


def main():
    results = {}
    per_worker = [sessions // workers + (1 if i < sessions % workers else 0) for i in range(workers)]
    rss_before = rss_mib()
    (authd0, _), start = cpu(), time.monotonic()
    with multiprocessing.Pool(workers) as pool:
        cookies = [c for part in pool.map(sign_in, per_worker) for c in part]
    (authd1, _), elapsed = cpu(), time.monotonic() - start
    results["sign_ins"] = len(cookies)
    results["sign_in_rps"] = round(len(cookies) / elapsed, 1)
    results["sign_in_cpu_us"] = round((authd1 - authd0) / 1000 / len(cookies), 1)
    results["rss_before_sign_ins_mib"] = round(rss_before, 1)
    results["rss_after_sign_ins_mib"] = round(rss_mib(), 1)

    deadline = time.monotonic() + seconds
    (authd0, pg0), start = cpu(), time.monotonic()
    with multiprocessing.Pool(workers) as pool:
        done = sum(pool.map(code_flow, [(cookies[i::workers], deadline) for i in range(workers)]))
    (authd1, pg1), elapsed = cpu(), time.monotonic() - start
    results["code_flows"] = done
    results["code_flow_rps"] = round(done / elapsed, 1)
    results["code_flow_authd_cpu_us"] = round((authd1 - authd0) / 1000 / done, 1)
    results["code_flow_postgres_cpu_us"] = round((pg1 - pg0) / 1000 / done, 1)
    results["code_flow_per_core"] = round(done / ((authd1 - authd0) / 1e9), 1)

    line_growth, http_growth = idle_connections(idle)
    results["idle_connections"] = idle
    results["rss_idle_line_mib"] = round(line_growth, 1)
    results["rss_idle_http_mib"] = round(http_growth, 1)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
