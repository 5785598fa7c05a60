"""A client of Dovecot's authentication protocol (version 1.2), written from Dovecot's developer
manual, against authd's dovecot_auth listener. Prints "ok: …" or "FAIL: …" per check and exits 1
on any failure. Usage: dovecot_auth_check.py PORT USER PASSWORD TOKEN"""
import base64
import socket
import sys

from checks import check, finish

port, user, password, token = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]


def b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


class Connection:
    def __init__(self, handshake=True):
        self.sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        self.file = self.sock.makefile("rb")
        self.server = []
        while True:
            line = self.readline()
            self.server.append(line)
            if line == "DONE":
                break
        if handshake:
            self.send(f"VERSION\t1\t2\nCPID\t{4242}\n")

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def readline(self):
        line = self.file.readline()
        return None if not line else line.decode().rstrip("\n")

    def ask(self, text):
        self.send(text)
        return self.readline()

    def closed(self):
        """True when the server closed the connection (reads end) within the timeout."""
        try:
            return self.file.readline() == b""
        except OSError:
            return True

    def close(self):
        self.sock.close()


# The handshake: version first, PLAIN and LOGIN as plaintext mechanisms, then DONE.
c = Connection()
check(c.server[0] == "VERSION\t1\t2", "handshake: VERSION 1 2", c.server[0])
check("MECH\tPLAIN\tplaintext" in c.server and "MECH\tLOGIN\tplaintext" in c.server, "handshake: PLAIN, LOGIN")
check("MECH\tOAUTHBEARER" in c.server and "MECH\tXOAUTH2" in c.server, "handshake: OAUTHBEARER, XOAUTH2")
check(any(line.startswith("SPID\t") for line in c.server) and any(line.startswith("CUID\t") for line in c.server),
      "handshake: SPID, CUID")

plain = b64(f"\0{user}\0{password}")
check(c.ask(f"AUTH\t1\tPLAIN\tservice=smtp\tnologin\trip=10.0.0.1\tresp={plain}\n") == f"OK\t1\tuser={user}",
      "PLAIN with an initial response, right password")
check(c.ask(f"AUTH\t2\tPLAIN\tservice=smtp\trip=10.0.0.1\tresp={b64(chr(0) + user + chr(0) + 'wrong')}\n")
      == "FAIL\t2", "PLAIN, wrong password")
check(c.ask(f"AUTH\t3\tPLAIN\tservice=smtp\trip=10.0.0.1\tresp={b64(chr(0) + 'nobody-' + user + chr(0) + password)}\n")
      == "FAIL\t3", "PLAIN, unknown user (the same answer)")
check(c.ask("AUTH\t4\tPLAIN\tservice=smtp\trip=10.0.0.1\n") == "CONT\t4\t", "PLAIN without a response: empty challenge")
check(c.ask(f"CONT\t4\t{plain}\n") == f"OK\t4\tuser={user}", "PLAIN, response in CONT")
check(c.ask("AUTH\t5\tLOGIN\tservice=smtp\trip=10.0.0.1\n") == f"CONT\t5\t{b64('Username:')}", "LOGIN asks the user")
check(c.ask(f"CONT\t5\t{b64(user)}\n") == f"CONT\t5\t{b64('Password:')}", "LOGIN asks the password")
check(c.ask(f"CONT\t5\t{b64(password)}\n") == f"OK\t5\tuser={user}", "LOGIN, right password")
check(c.ask(f"AUTH\t6\tPLAIN\tservice=smtp\trip=10.0.0.1\tresp={b64('someone' + chr(0) + user + chr(0) + password)}\n")
      == "FAIL\t6\treason=malformed PLAIN", "PLAIN acting as another user is refused")
xoauth2 = b64(f"user={user}\x01auth=Bearer {token}\x01\x01")
check(c.ask(f"AUTH\t7\tXOAUTH2\tservice=smtp\tresp={xoauth2}\n") == f"OK\t7\tuser={user}", "XOAUTH2 with a token")
bearer = b64(f"n,a={user},\x01host=mail\x01port=587\x01auth=Bearer {token}\x01\x01")
check(c.ask(f"AUTH\t8\tOAUTHBEARER\tservice=smtp\tresp={bearer}\n") == f"OK\t8\tuser={user}", "OAUTHBEARER")
forged = b64(f"user={user}\x01auth=Bearer {token}x\x01\x01")
check(c.ask(f"AUTH\t9\tXOAUTH2\tservice=smtp\tresp={forged}\n") == "FAIL\t9", "XOAUTH2 with a forged token")
other = b64(f"user=nobody-{user}\x01auth=Bearer {token}\x01\x01")
check(c.ask(f"AUTH\t10\tXOAUTH2\tservice=smtp\tresp={other}\n") == "FAIL\t10", "XOAUTH2 naming another user")
check(c.ask("AUTH\t11\tCRAM-MD5\tservice=smtp\n") == "FAIL\t11\treason=Unsupported authentication mechanism",
      "an unsupported mechanism")
check(c.ask(f"AUTH\t12\tPLAIN\tservice=nostack\tresp={plain}\n") == "FAIL\t12\ttemp", "a service without a stack: temp")
check(c.ask(f"AUTH\t30\tPLAIN\tservice=ssh\tresp={plain}\n") == "FAIL\t30\treason=service ssh is not served here",
      "a service outside dovecot_auth.services: refused before any check (no stack without a second factor by choice)")
check(c.ask("AUTH\t13\tPLAIN\tservice=smtp\tresp=%%%\n") == "FAIL\t13\treason=AUTH with a malformed resp",
      "a malformed resp")
check(c.ask(f"AUTH\t14\tPLAIN\tresp={plain}\n") == "FAIL\t14\treason=AUTH without service", "AUTH without service")

# The lockout counts the mail client's address (rip=): ten failures from one address lock the
# account there (the right password refused), not from another.
for attempt in range(10):
    c.ask(f"AUTH\t{100 + attempt}\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp={b64(chr(0) + user + chr(0) + 'wrong')}\n")
check(c.ask(f"AUTH\t120\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp={plain}\n") == "FAIL\t120",
      "locked for the address that failed ten times (right password refused)")
check(c.ask(f"AUTH\t121\tPLAIN\tservice=smtp\trip=192.0.2.8\tresp={plain}\n") == f"OK\t121\tuser={user}",
      "another address still gets in")
c.close()

# Protocol violations close the connection (and are logged), as Dovecot's server does.
for what, data, handshake in [
    ("AUTH before VERSION", f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain}\n", False),
    ("an unknown major version", "VERSION\t2\t0\n", False),
    ("an unknown command", "HELLO\t1\n", True),
    ("CONT for no request", "CONT\t77\tAAAA\n", True),
    ("a malformed escape", "AUTH\t1\tPLAIN\tservice=sm\x01xtp\n", True),
    ("bytes that are not UTF-8", b"AUTH\t1\tPLAIN\tservice=\xff\xfe\n", True),
    ("an over-long line", "AUTH\t1\tPLAIN\tservice=smtp\tresp=" + "A" * 20000 + "\n", True),
    ("a NUL in a line", "AUTH\t1\tPL\0AIN\tservice=smtp\n", True),
]:
    c = Connection(handshake)
    c.send(data)
    reply = c.readline()
    if what == "a NUL in a line":
        check(reply is not None and reply.startswith("FAIL\t1"), what + ": FAIL", repr(reply))
        c.close()
        continue
    check(reply is None, what + ": connection closed", repr(reply))
    c.close()

finish()
