"""A relay for the mail checks: PyPI aiosmtpd with STARTTLS required and AUTH PLAIN/LOGIN required
(one user), writing each accepted message to OUT_DIR as NNNN.eml beside NNNN.json (envelope, and
whether the session had TLS and which user authenticated). Recipients steer it:
  tempfail-*  451 to RCPT for the first two tries, then accepted
  reject-*    550 to RCPT
  slow-*      the first time: the message saved, then the reply to DATA held back 30 s (for a kill
              mid-delivery); later times as any other
Usage: smtp_sink.py PORT CERT KEY USER PASSWORD OUT_DIR; prints "listening" when ready."""
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, out = sys.argv[1:]
tries = {}
held = set()
count = 0


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@")[0]
        if local.startswith("reject-"):
            return "550 5.1.1 no such user here"
        if local.startswith("tempfail-"):
            tries[address] = tries.get(address, 0) + 1
            if tries[address] <= 2:
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        name = os.path.join(out, f"{count:04d}")
        with open(name + ".eml", "wb") as file:
            file.write(envelope.original_content)
        with open(name + ".json", "w") as file:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None,
                       "user": session.auth_data.login.decode() if session.auth_data else None,
                       "options": envelope.mail_options}, file, ensure_ascii=False)
        slow = [address for address in envelope.rcpt_tos if address.startswith("slow-") and address not in held]
        if slow:
            held.update(slow)
            await asyncio.sleep(30)
        return "250 OK queued"


def authenticate(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    return AuthResult(success=ok, auth_data=data if ok else None)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Sink(), hostname="127.0.0.1", port=int(port), tls_context=context, require_starttls=True,
                        auth_required=True, auth_require_tls=True, authenticator=authenticate,
                        decode_data=False, enable_SMTPUTF8=True)
controller.start()
print("listening", flush=True)
signal.pause()
