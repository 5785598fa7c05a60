"""The delivery reference: Python's smtplib sending COUNT messages through the relay as authd does
(one connection per message: EHLO, STARTTLS, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT), PARALLEL at
a time. Prints messages per second.
Usage: smtp_reference.py PORT CA_FILE USER PASSWORD COUNT PARALLEL"""
import smtplib
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

port, ca, user, password = sys.argv[1:5]
count, parallel = int(sys.argv[5]), int(sys.argv[6])
context = ssl.create_default_context(cafile=ca)


def send(n):
    message = EmailMessage()
    message["From"] = "no-reply@authd.test"
    message["To"] = f"reference-{n}@example.com"
    message["Subject"] = f"reference {n}"
    message.set_content(f"reference {n}\n")
    message.add_alternative(f"<p>reference {n}</p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as client:
        client.starttls(context=context)
        client.login(user, password)
        client.send_message(message)


start = time.monotonic()
with ThreadPoolExecutor(parallel) as pool:
    list(pool.map(send, range(count)))
print(round(count / (time.monotonic() - start), 1))
