"""A key rotation as a resource server with PyJWKClient sees it (scripts/interop/pyjwt.sh runs the
phases against three authd configurations): `issue` prints a token signed with the first key;
`retired` (the second key signs, the first is in jwt.previous_key_files) finds both keys in the
JWKS and verifies the old token with the retired key, which authd still accepts; `removed` (the
first key gone from the configuration) finds no key for the old token, and authd refuses it."""
import os
import sys

import jwt
from authd_client import BASE, call, new_account

phase = sys.argv[1]
ALG = os.environ["ALG"]
if phase == "issue":
    print(new_account("rotate")[2])
    sys.exit(0)

old = os.environ["OLD_TOKEN"]
kid = jwt.get_unverified_header(old)["kid"]
client = jwt.PyJWKClient(BASE + "/.well-known/jwks.json", cache_keys=False)
published = [key.key_id for key in client.get_signing_keys()]
status, _ = call("GET", "/protected", token=old)
if phase == "retired":
    assert len(published) == 2 and published[1] == kid, (published, kid)
    key = client.get_signing_key_from_jwt(old)
    jwt.decode(old, key.key, algorithms=[ALG], audience="authd", issuer="authd")
    assert status == 200, status
    print(f"ok: {ALG}: a token of the retired key verifies with the JWKS, which publishes it after the new one")
else:
    assert kid not in published, (published, kid)
    try:
        client.get_signing_key_from_jwt(old)
        raise AssertionError("PyJWKClient found a removed key")
    except jwt.PyJWKClientError:
        pass
    assert status == 401, status
    print(f"ok: {ALG}: a token of a removed key finds no key in the JWKS, and authd refuses it")
