"""authd <-> PyJWT: both directions, plus PyJWT-made tokens authd must refuse."""
import json
import os
import secrets
import time
import urllib.error
import urllib.request

import jwt

BASE = os.environ["AUTHD_URL"]
SECRET = open(os.environ["SECRET_FILE"], "rb").read().strip()


def call(method, path, body=None, token=None):
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


name = "interop" + secrets.token_hex(4)
status, user = call("POST", "/register", {"username": name, "email": name + "@example.com", "password": "interop password 1"})
assert status == 201, (status, user)
status, login = call("POST", "/login", {"username": name, "password": "interop password 1"})
assert status == 200, (status, login)
token = login["access_token"]

# authd -> PyJWT
header = jwt.get_unverified_header(token)
assert header["alg"] == "HS256" and header["typ"] == "at+jwt", header
claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="authd", issuer="authd")
assert claims["name"] == name and claims["sub"] == str(user["user"]["id"]), claims
for claim in ("iat", "nbf", "exp", "jti", "roles"):
    assert claim in claims, claim
print("ok: PyJWT verifies authd's token")

# PyJWT -> authd
now = int(time.time())
mine = {"iss": "authd", "aud": "authd", "sub": claims["sub"], "name": name, "roles": ["user"],
        "iat": now, "nbf": now, "exp": now + 300, "jti": secrets.token_urlsafe(16)}
made = jwt.encode(mine, SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": header["kid"]})
status, body = call("GET", "/protected", token=made)
assert status == 200 and body["logged_in_as"] == name, (status, body)
print("ok: authd accepts PyJWT's token")

# What authd must refuse even though PyJWT can make it.
refused = {
    "HS512": jwt.encode(mine, SECRET, algorithm="HS512", headers={"typ": "at+jwt", "kid": header["kid"]}),
    "none": jwt.encode(mine, None, algorithm="none", headers={"typ": "at+jwt", "kid": header["kid"]}),
    "wrong key": jwt.encode(mine, b"x" * 48, algorithm="HS256", headers={"typ": "at+jwt", "kid": header["kid"]}),
    "wrong aud": jwt.encode(dict(mine, aud="other"), SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": header["kid"]}),
    "expired": jwt.encode(dict(mine, exp=now - 120), SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": header["kid"]}),
}
for label, bad in refused.items():
    status, body = call("GET", "/protected", token=bad)
    assert status == 401, (label, status, body)
print("ok: authd refuses HS512, none, wrong key, wrong audience and expired tokens from PyJWT")
