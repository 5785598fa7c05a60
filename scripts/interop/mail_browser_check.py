"""The portal's mailed links in headless Chromium (selenium), with the messages taken from the relay
(scripts/interop/smtp_sink.py's OUT_DIR) as authd sent them.
Usage: mail_browser_check.py AUTHD_PORT MAIL_DIR SUFFIX SCREENSHOT_DIR

1. "Forgot your password?" from the sign-in page: the form, "Check your mail", the mailed link
   opens "Choose a new password" (nothing used by opening it), the new password is set and signs in.
2. "E-mail me a sign-in link instead": the form, "Check your mail" with a code form; the mailed
   code signs the browser in.
3. The mailed sign-in link, opened in a fresh browser: a page with a button; its post signs in.
Links are the configured public URL's (oauth.issuer), never the request's Host.
"""
import email
import email.policy
import glob
import json
import re
import sys
import time

import requests
from browser import Checks, browser, gone, shot, sign_in, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

authd_port, mail_dir, suffix, shots = sys.argv[1:5]
portal = f"http://127.0.0.1:{authd_port}"
check = Checks()


def messages_to(address):
    """The text parts of the messages the relay took for `address`, oldest first."""
    found = []
    for name in sorted(glob.glob(f"{mail_dir}/*.json")):
        with open(name) as file:
            if address not in json.load(file)["to"]:
                continue
        with open(name[:-len(".json")] + ".eml", "rb") as file:
            message = email.message_from_bytes(file.read(), policy=email.policy.default)
        found.append(message.get_body(preferencelist=("plain",)).get_content())
    return found


def next_message(address, seen, timeout=30):
    """The first message for `address` after the `seen` it had."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = messages_to(address)
        if len(texts) > seen:
            return texts[seen]
        time.sleep(0.1)
    raise AssertionError(f"no new message for {address}")


def body(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def submit(driver, fields):
    """Fills the page's form (field id → text) and posts it; returns once the page is left."""
    for field, text in fields.items():
        wait_for(driver, expected_conditions.presence_of_element_located((By.ID, field)))
        driver.find_element(By.ID, field).clear()
        driver.find_element(By.ID, field).send_keys(text)
    button = driver.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()
    wait_for(driver, gone(button))


def follow(driver, link_text):
    link = driver.find_element(By.LINK_TEXT, link_text)
    link.click()
    wait_for(driver, gone(link))


def register(name, password):
    response = requests.post(f"{portal}/register", timeout=10,
                             json={"username": name, "email": f"{name}@example.com", "password": password})
    assert response.status_code == 201, response.text


def link_in(text, path):
    found = re.search(re.escape(portal + path) + r"\?token=[A-Za-z0-9_-]{43}\S*", text)
    return found.group(0) if found else None


name = f"browse{suffix}"
address = f"{name}@example.com"
register(name, "browser password 1")
next_message(address, 0)  # the registration's verification message
seen = 1

driver = browser()
try:
    # 1. Forgot your password?
    driver.get(f"{portal}/ui/login")
    follow(driver, "Forgot your password?")
    shot(driver, shots, "forgot-password")
    submit(driver, {"login": name})
    check("Check your mail" in body(driver), "forgot: the form answers 'Check your mail'")
    shot(driver, shots, "reset-requested")
    text = next_message(address, seen)
    seen += 1
    link = link_in(text, "/ui/password/reset")
    check(link is not None, "the reset message links to the portal under oauth.issuer")
    driver.get(link)
    check("Choose a new password" in body(driver), "the link opens 'Choose a new password'")
    shot(driver, shots, "choose-new-password")
    submit(driver, {"new_password": "browser password 2", "confirm": "browser password 2"})
    check("Password changed" in body(driver), "the new password is set")
    shot(driver, shots, "password-changed")
    seen += 1  # the notice that the password changed
    next_message(address, seen - 1)
    driver.get(f"{portal}/ui/login")
    sign_in(driver, name, "browser password 2")
    check("Your consents" in body(driver), "the new password signs the browser in")
    driver.delete_all_cookies()

    # 2. E-mail me a sign-in link instead: the code.
    driver.get(f"{portal}/ui/login")
    shot(driver, shots, "sign-in-with-mail-link")
    follow(driver, "E-mail me a sign-in link instead")
    shot(driver, shots, "sign-in-by-mail")
    submit(driver, {"login": address})
    check("Check your mail" in body(driver) and driver.find_elements(By.ID, "code"),
          "asking shows 'Check your mail' with a code form")
    shot(driver, shots, "sign-in-code")
    text = next_message(address, seen)
    seen += 1
    code = re.search(r"^(\d{6})\s*$", text, re.M)
    check(code is not None and link_in(text, "/ui/login/email") is not None,
          "the sign-in message has a link to the portal and a six-digit code")
    submit(driver, {"code": code.group(1)})
    check("Your consents" in body(driver) and driver.get_cookie("authd_sso") is not None,
          "the mailed code signs the browser in")
    driver.delete_all_cookies()

    # 3. The mailed link, in a browser that never asked for it.
    response = requests.post(f"{portal}/login/email", json={"login": name}, timeout=10)
    check(response.status_code == 202, "POST /login/email: 202")
    link = link_in(next_message(address, seen), "/ui/login/email")
    seen += 1
    driver.get(link)
    check(driver.get_cookie("authd_sso") is None and "Sign in with the link from your mail" in body(driver),
          "opening the link shows a button and signs nobody in")
    shot(driver, shots, "sign-in-link")
    submit(driver, {})
    check("Your consents" in body(driver) and driver.get_cookie("authd_sso") is not None,
          "the button signs the browser in")
    driver.delete_all_cookies()
    driver.get(link)
    submit(driver, {})
    check("This link is used, expired or unknown." in body(driver), "the link works once")
finally:
    driver.quit()
sys.exit(1 if check.failures else 0)
