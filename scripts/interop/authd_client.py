"""The HTTP calls the interop checks share, against AUTHD_URL."""
import json
import os
import secrets
import urllib.error
import urllib.request

BASE = os.environ["AUTHD_URL"]


def call(method, path, body=None, token=None):
    """(status, decoded JSON body) of one JSON request, with an optional bearer token."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def new_account(prefix, password="interop password 1"):
    """Registers a fresh user and logs in: (name, the registered user, its access token)."""
    name = prefix + secrets.token_hex(4)
    status, user = call("POST", "/register", {"username": name, "email": name + "@example.com", "password": password})
    assert status == 201, (status, user)
    status, login = call("POST", "/login", {"username": name, "password": password})
    assert status == 200, (status, login)
    return name, user, login["access_token"]
