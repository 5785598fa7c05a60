"""Reads what the relay (smtp_sink.py) saved for one message, as Python's email package parses it.
Usage: mail_check.py BASE WHAT: BASE.eml and BASE.json; WHAT names the message in the output."""
import email
import email.policy
import json
import sys

from checks import check, finish

base, what = sys.argv[1:]
envelope = json.load(open(base + ".json"))
message = email.message_from_bytes(open(base + ".eml", "rb").read(), policy=email.policy.default)
to = envelope["to"][0]
check(envelope["tls"] and envelope["user"] == "relay-user", f"{what}: sent over STARTTLS after AUTH as relay-user")
check(envelope["from"] == "no-reply@authd.test", f"{what}: the envelope sender is mail.from")
check(message["From"].addresses[0].addr_spec == "no-reply@authd.test" and message["From"].addresses[0].display_name == "authd",
      f"{what}: From: authd <mail.from>")
check(message["To"].addresses[0].addr_spec == to, f"{what}: To: the recipient ({to})")
check(message["Subject"] == "authd test message", f"{what}: the subject")
check(message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@authd.test>"),
      f"{what}: a Message-ID in the sender's domain")
check(message["Date"].datetime is not None and message["Auto-Submitted"] == "auto-generated", f"{what}: Date and Auto-Submitted")
check(message.get_content_type() == "multipart/alternative", f"{what}: multipart/alternative")
text = message.get_body(preferencelist=("plain",))
html = message.get_body(preferencelist=("html",))
check(text is not None and "authctl mail test" in text.get_content()
      and text["Content-Transfer-Encoding"] == "quoted-printable", f"{what}: the text part, quoted-printable")
check(html is not None and "<code>authctl mail test</code>" in html.get_content(), f"{what}: the HTML part")
finish()
