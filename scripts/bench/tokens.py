"""Mints COUNT distinct access tokens like TOKEN (same header and claims, a new jti each), signed
with authd's own key: the HS256 secret in SECRET_FILE, or the private key in KEY_FILE (EdDSA,
ES256). One per line on stdout. authd accepts them as its own, so a benchmark can cycle through
more tokens than the verified-token cache holds without logging in thousands of times. With
USERS_FILE (lines "id username") the tokens are those users', round robin; their roles are TOKEN's.
Usage: tokens.py TOKEN COUNT"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


token, count = sys.argv[1], int(sys.argv[2])
header_part, payload_part, _ = token.split(".")
header = json.loads(unb64(header_part))
claims = json.loads(unb64(payload_part))
if header["alg"] == "HS256":
    secret = open(os.environ["SECRET_FILE"], "rb").read().rstrip(b"\n")

    def sign(data):
        return hmac.new(secret, data, hashlib.sha256).digest()
else:
    key = serialization.load_pem_private_key(open(os.environ["KEY_FILE"], "rb").read(), password=None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sign = key.sign
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        def sign(data):
            r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        raise SystemExit(f"tokens.py: no signer for {header['alg']}")
users = []
if os.environ.get("USERS_FILE"):
    users = [line.split() for line in open(os.environ["USERS_FILE"]) if line.strip()]
out = sys.stdout
for index in range(count):
    claims["jti"] = b64(secrets.token_bytes(16))
    if users:
        claims["sub"], claims["name"] = users[index % len(users)]
    signing_input = header_part + "." + b64(json.dumps(claims, separators=(",", ":")).encode())
    out.write(signing_input + "." + b64(sign(signing_input.encode())) + "\n")
