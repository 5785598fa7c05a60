"""Password checks per second through three front ends of one authd, measured back to back:
the line protocol's AUTH (the ldap stack), an LDAP simple bind (the ldap stack) and a RADIUS
Access-Request with PAP and a Message-Authenticator (the radius stack). All three are bounded by
one scrypt per attempt, so each front end's rate over AUTH's says what it costs besides the hash.
Then LDAP searches for one user by uid, bound as a service account. Each measurement runs
`workers` client processes for `seconds`, each with its own connection, one request at a time.

Usage: frontends.py LINE_PORT LDAP_PORT RADIUS_PORT RADIUS_SECRET USER PASSWORD SERVICE_DN
       SERVICE_PASSWORD BASE SECONDS WORKERS
Prints one JSON object: rates per second and ratios."""
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import struct
import sys
import time

import ldap

(line_port, ldap_port, radius_port, secret, user, password, service_dn, service_password, base, seconds,
 workers) = sys.argv[1:]
line_port, ldap_port, radius_port = int(line_port), int(ldap_port), int(radius_port)
secret, seconds, workers = secret.encode(), float(seconds), int(workers)


def line_auth(deadline):
    sock = socket.create_connection(("127.0.0.1", line_port), timeout=30)
    reader = sock.makefile("rb")
    reader.readline()
    reader.readline()
    resp = base64.b64encode(password.encode()).decode()
    done = 0
    while time.monotonic() < deadline:
        sock.sendall(f"AUTH\t{done}\tservice=ldap\tuser={user}\tresp={resp}\n".encode())
        assert reader.readline().startswith(b"OK\t"), "AUTH refused"
        done += 1
    return done


def ldap_bind(deadline):
    connection = ldap.initialize(f"ldap://127.0.0.1:{ldap_port}")
    dn = f"uid={user},ou=people,{base}"
    done = 0
    while time.monotonic() < deadline:
        connection.simple_bind_s(dn, password)
        done += 1
    return done


def access_request(identifier):
    authenticator = os.urandom(16)
    padded = password.encode() + b"\0" * (-len(password.encode()) % 16)
    hidden, last = b"", authenticator
    for i in range(0, len(padded), 16):
        block = bytes(a ^ b for a, b in zip(padded[i:i + 16], hashlib.md5(secret + last).digest(), strict=True))
        hidden, last = hidden + block, block
    name = user.encode()
    attributes = bytes([1, 2 + len(name)]) + name + bytes([2, 2 + len(hidden)]) + hidden + bytes([80, 18]) + b"\0" * 16
    packet = bytes([1, identifier]) + struct.pack("!H", 20 + len(attributes)) + authenticator + attributes
    return packet[:-16] + hmac.new(secret, packet, hashlib.md5).digest()


def radius(deadline):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(10)
    done = 0
    while time.monotonic() < deadline:
        identifier = done % 256
        sock.sendto(access_request(identifier), ("127.0.0.1", radius_port))
        reply = sock.recv(4096)
        assert reply[0] == 2 and reply[1] == identifier, "not an Access-Accept"
        done += 1
    return done


def ldap_search(deadline):
    connection = ldap.initialize(f"ldap://127.0.0.1:{ldap_port}")
    connection.simple_bind_s(service_dn, service_password)
    done = 0
    while time.monotonic() < deadline:
        found = connection.search_s(base, ldap.SCOPE_SUBTREE, f"(uid={user})", ["uid", "mail", "memberOf"])
        assert len(found) == 1
        done += 1
    return done


def rate(kind):
    deadline = time.monotonic() + seconds
    with multiprocessing.Pool(workers) as pool:
        counts = pool.map(kind, [deadline] * workers)
    return round(sum(counts) / seconds, 1)


results = {"line_auth": rate(line_auth), "ldap_bind": rate(ldap_bind), "radius": rate(radius),
           "ldap_search_uid": rate(ldap_search)}
results["ldap_bind_ratio"] = round(results["ldap_bind"] / results["line_auth"], 2)
results["radius_ratio"] = round(results["radius"] / results["line_auth"], 2)
print(json.dumps(results))
