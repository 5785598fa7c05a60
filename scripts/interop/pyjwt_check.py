"""authd <-> PyJWT: both directions, plus PyJWT-made tokens authd must refuse."""
import os
import secrets
import time

import jwt
from authd_client import call, new_account

SECRET = open(os.environ["SECRET_FILE"], "rb").read().strip()

name, user, token = new_account("interop")

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
