"""authd <-> PyJWT with a key pair (ALG, KEY_FILE): authd's token verifies with the public key and
with the key PyJWKClient takes from /.well-known/jwks.json (and in jwcrypto with the JWK Set), its kid is the key's RFC 7638
thumbprint, and a token PyJWT signs with the private key is accepted."""
import base64
import hashlib
import json
import os
import secrets
import time
import urllib.request

import jwt
from authd_client import BASE, call, new_account
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jwt as jwcrypto_jwt

ALG = os.environ["ALG"]
PRIVATE = load_pem_private_key(open(os.environ["KEY_FILE"], "rb").read(), password=None)
PUBLIC = PRIVATE.public_key()


def thumbprint(public_key):
    """RFC 7638: SHA-256 of the required JWK members, sorted, without whitespace."""
    jwk = json.loads(jwt.get_algorithm_by_name(ALG).to_jwk(public_key))
    required = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


name, user, token = new_account("keypair")
header = jwt.get_unverified_header(token)
assert header["alg"] == ALG and header["typ"] == "at+jwt", header
assert header["kid"] == thumbprint(PUBLIC), (header, thumbprint(PUBLIC))
claims = jwt.decode(token, PUBLIC, algorithms=[ALG], audience="authd", issuer="authd")
assert claims["name"] == name and claims["sub"] == str(user["user"]["id"]), claims
status, body = call("GET", "/protected", token=token)
assert status == 200 and body["logged_in_as"] == name, (status, body)
print(f"ok: PyJWT verifies authd's {ALG} token with the public key; kid is the RFC 7638 thumbprint")

# What a resource server does: fetch the JWK Set and pick the key by the token's kid.
jwks = jwt.PyJWKClient(BASE + "/.well-known/jwks.json")
published = jwks.get_signing_key_from_jwt(token)
assert published.key_id == header["kid"] and published.algorithm_name == ALG, published
assert jwt.decode(token, published.key, algorithms=[ALG], audience="authd", issuer="authd") == claims
print(f"ok: PyJWKClient fetches authd's JWKS and verifies the {ALG} token")

# A second library: jwcrypto takes the whole JWK Set and picks the key by kid itself.
keyset = jwcrypto_jwk.JWKSet.from_json(urllib.request.urlopen(BASE + "/.well-known/jwks.json", timeout=10).read())
checked = jwcrypto_jwt.JWT(jwt=token, key=keyset, algs=[ALG], check_claims={"iss": "authd", "aud": "authd"})
assert json.loads(checked.claims)["sub"] == claims["sub"], checked.claims
print(f"ok: jwcrypto verifies the {ALG} token with authd's JWK Set")

now = int(time.time())
mine = {"iss": "authd", "aud": "authd", "sub": claims["sub"], "name": name, "roles": ["user"],
        "iat": now, "nbf": now, "exp": now + 300, "jti": secrets.token_urlsafe(16)}
made = jwt.encode(mine, PRIVATE, algorithm=ALG, headers={"typ": "at+jwt", "kid": header["kid"]})
status, body = call("GET", "/protected", token=made)
assert status == 200 and body["logged_in_as"] == name, (status, body)
print(f"ok: authd accepts PyJWT's {ALG} token")

def hs256_with_public_key(claims, kid):
    """The classic algorithm confusion: HS256 with the public key's PEM as the HMAC secret (PyJWT
    itself refuses to make one, so by hand)."""
    import hmac

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    pem = PUBLIC.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": kid}).encode()) + "." + b64(json.dumps(claims).encode())
    return signing_input + "." + b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())


refused = {
    "HS256 with the public key as the secret": hs256_with_public_key(mine, header["kid"]),
    "HS256 under the pair's kid": jwt.encode(mine, b"k" * 48, algorithm="HS256", headers={"typ": "at+jwt", "kid": header["kid"]}),
    "none": jwt.encode(mine, None, algorithm="none", headers={"typ": "at+jwt", "kid": header["kid"]}),
    "unknown kid": jwt.encode(mine, PRIVATE, algorithm=ALG, headers={"typ": "at+jwt", "kid": "not-a-key"}),
    "a jwk header": jwt.encode(mine, PRIVATE, algorithm=ALG, headers={"typ": "at+jwt", "jwk": json.loads(jwt.get_algorithm_by_name(ALG).to_jwk(PUBLIC))}),
    "a jku header": jwt.encode(mine, PRIVATE, algorithm=ALG, headers={"typ": "at+jwt", "kid": header["kid"], "jku": "https://attacker.example/jwks.json"}),
    "an x5u header": jwt.encode(mine, PRIVATE, algorithm=ALG, headers={"typ": "at+jwt", "kid": header["kid"], "x5u": "https://attacker.example/cert.pem"}),
    "altered payload": token.split(".")[0] + "." + base64.urlsafe_b64encode(json.dumps(dict(claims, roles=["admin"])).encode()).rstrip(b"=").decode() + "." + token.split(".")[2],
}
for label, bad in refused.items():
    status, body = call("GET", "/protected", token=bad)
    assert status == 401, (label, status, body)
print(f"ok: authd refuses {', '.join(refused)} for {ALG}")
