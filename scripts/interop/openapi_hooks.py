"""Schemathesis hooks for scripts/interop/openapi.sh: every request carries a fresh admin token.

Schemathesis exercises /logout, /logout/all and an admin's own /revoke too, each of which ends the
token it was sent with; logging in again (at most every few seconds, and after any 401) keeps the
rest of the run authenticated instead of testing 401s only. The login comes from 127.0.0.2: the
stateful phase feeds usernames it listed into POST /login with made-up passwords, which locks the
admin out for 127.0.0.1 (lockout is per account and source address, as designed).

The run may also disable, demote or delete that admin with its own token (allowed whenever another
enabled admin exists, as one does when earlier tests left theirs in the database): then a new
admin is created with authctl, straight in the database, and the run goes on as that one."""
import http.client
import json
import os
import secrets
import subprocess
import urllib.parse

import schemathesis


def login(username):
    url = urllib.parse.urlparse(os.environ["OPENAPI_URL"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10, source_address=("127.0.0.2", 0))
    body = json.dumps({"username": username, "password": os.environ["OPENAPI_PASSWORD"]})
    connection.request("POST", "/login", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, text


def create_admin():
    username = "oa" + secrets.token_hex(4)
    subprocess.run([".build/debug/authctl", "user", "create", username, "--email", f"{username}@example.com",
                    "--role", "admin", "--config", "config/authd.yaml"],
                   input=os.environ["OPENAPI_PASSWORD"] + "\n", text=True, check=True, capture_output=True)
    return username


@schemathesis.auth(refresh_interval=5)
class AdminLogin:
    username = os.environ["OPENAPI_ADMIN"]

    def get(self, case, context):
        status, text = login(AdminLogin.username)
        if status == 401:
            AdminLogin.username = create_admin()
            status, text = login(AdminLogin.username)
        if status != 200:
            raise RuntimeError(f"admin login failed: {status} {text}")
        return json.loads(text)["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """POST /admin/users/import: JSON lines, which a schema cannot describe; a generated list is
    sent one value per line, anything else as one line."""
    values = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in values).encode()
