"""The HTTP calls and the line-protocol connection the interop checks share, against AUTHD_URL."""
import json
import os
import secrets
import socket
import urllib.error
import urllib.request

# Where authd answers; scripts that only import the helpers may run without it.
BASE = os.environ.get("AUTHD_URL", "")


def request(method, path, body=None, token=None, headers=None, timeout=10, base=None):
    """(status, response headers, body text) of one request to authd (AUTHD_URL unless `base`):
    a JSON body when `body` is given, a bearer token when `token` is."""
    sent = dict(headers or {})
    if body is not None:
        sent["Content-Type"] = "application/json"
    if token:
        sent["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    url = (base or BASE) + path
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, sent, method=method), timeout=timeout) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def call(method, path, body=None, token=None, timeout=10):
    """(status, decoded JSON body) of one JSON request, with an optional bearer token."""
    status, _, text = request(method, path, body, token, timeout=timeout)
    return status, json.loads(text or "{}")


def new_account(prefix, password="interop password 1"):
    """Registers a fresh user and logs in: (name, the registered user, its access token)."""
    name = prefix + secrets.token_hex(4)
    status, user = call("POST", "/register", {"username": name, "email": name + "@example.com", "password": password})
    assert status == 201, (status, user)
    status, login = call("POST", "/login", {"username": name, "password": password})
    assert status == 200, (status, login)
    return name, user, login["access_token"]


class LineConnection:
    """One line-protocol connection, past its greeting (the VERSION and CAPS lines). `ask` sends
    one command and returns its reply; `pipeline` sends many at once and returns their replies."""

    def __init__(self, port, host="127.0.0.1", timeout=30):
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.file = self.sock.makefile("rb")
        self.file.readline()
        self.file.readline()

    def ask(self, line):
        return self.pipeline([line])[0]

    def pipeline(self, lines):
        """Sends every line (a newline added when missing), then reads one reply per line; a
        closed connection raises ConnectionError."""
        self.sock.sendall(b"".join(line.rstrip("\n").encode() + b"\n" for line in lines))
        replies = []
        for _ in lines:
            reply = self.file.readline()
            if not reply:
                raise ConnectionError("the line connection was closed")
            replies.append(reply.decode().rstrip("\n"))
        return replies

    def close(self):
        self.file.close()
        self.sock.close()
