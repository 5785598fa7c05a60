"""A DPoP client for the benchmark (RFC 9449): signs in with a proof of a new P-256 key, so its
tokens are bound to that key, then signs COUNT proofs for GET /protected with that token (each
with its own jti), one per line into OUT, before the measurement starts.
Usage: dpop_proofs.py PORT ISSUER USER PASSWORD COUNT OUT   (prints the bound access token)"""

import base64
import hashlib
import json
import sys
import time
import urllib.request
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

port, issuer, user, password, count, out = sys.argv[1:]
key = ec.generate_private_key(ec.SECP256R1())
numbers = key.public_key().public_numbers()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.x.to_bytes(32, "big")), "y": b64(numbers.y.to_bytes(32, "big"))}
header = b64(json.dumps({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}, separators=(",", ":")).encode())


def proof(method, url, access_token=None):
    claims = {"jti": uuid.uuid4().hex, "htm": method, "htu": url, "iat": int(time.time())}
    if access_token:
        claims["ath"] = b64(hashlib.sha256(access_token.encode()).digest())
    signing_input = header + "." + b64(json.dumps(claims, separators=(",", ":")).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


body = json.dumps({"username": user, "password": password}).encode()
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/login", data=body, method="POST",
    headers={"Content-Type": "application/json", "DPoP": proof("POST", issuer + "/login")})
answer = json.load(urllib.request.urlopen(request, timeout=10))
assert answer["token_type"] == "DPoP", answer
token = answer["access_token"]
with open(out, "w") as proofs:
    for _ in range(int(count)):
        proofs.write(proof("GET", issuer + "/protected", token) + "\n")
print(token)
