"""Schemathesis hooks for scripts/interop/openapi.sh: every request carries a fresh admin token.

Schemathesis exercises /logout, /logout/all and an admin's own /revoke too, each of which ends the
token it was sent with; logging in again (at most every few seconds, and after any 401) keeps the
rest of the run authenticated instead of testing 401s only."""
import json
import os
import urllib.error
import urllib.request

import schemathesis


@schemathesis.auth(refresh_interval=5)
class AdminLogin:
    def get(self, case, context):
        body = json.dumps({"username": os.environ["OPENAPI_ADMIN"], "password": os.environ["OPENAPI_PASSWORD"]})
        request = urllib.request.Request(
            os.environ["OPENAPI_URL"] + "/login", data=body.encode(), method="POST",
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)["access_token"]
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"admin login failed: {error.code} {error.read().decode()}") from None

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
