"""Headless Chromium (selenium) signs in to two Apache virtual hosts protected by mod_auth_openidc.
Usage: oidc_apache_check.py AUTHD_PORT PORT_A PORT_B SUFFIX SCREENSHOT_DIR

1. A user opens vhost A's page, is sent to authd, signs in on the real form and lands back on the
   page, which shows REMOTE_USER (OIDCRemoteUserClaim preferred_username), the e-mail claim and
   the sid: mod_auth_openidc checked the ID token (discovery, JWK Set, nonce, PKCE S256).
2. Refresh: A's access tokens (900 s) are refreshed 898 s before they end, so a load seconds
   later shows a new access token, got with the refresh token at authd's token endpoint.
3. SSO with form_post: vhost B signs the same browser in with no password page; its code came in
   authd's form_post page.
4. Sign-out at authd (its own consents page, not through an application): the signed-out page
   loads B's front-channel logout URI, and authd posts A a logout token from the outbox (back
   channel). Both Apache sessions are gone: each page sends the browser to authd's sign-in again.
"""
import re
import sys
import time

import requests
from browser import Checks, browser, wait_for
from browser import shot as save
from browser import sign_in as fill
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

authd_port, port_a, port_b, suffix, shots = sys.argv[1:6]
authd = f"http://127.0.0.1:{authd_port}"
page_a = f"http://127.0.0.1:{port_a}/protected/index.shtml"
page_b = f"http://127.0.0.1:{port_b}/protected/index.shtml"
check = Checks()

alice = f"alice{suffix}"
registered = requests.post(f"{authd}/register", json={"username": alice, "email": f"{alice}@example.com",
                                                      "password": "alice's apache password"}, timeout=10)
assert registered.status_code == 201, registered.text


def shown(driver, field):
    wait_for(driver, expected_conditions.presence_of_element_located((By.ID, field)))
    return driver.find_element(By.ID, field).text


def on_page(driver, port):
    wait_for(driver, lambda d: d.current_url.startswith(f"http://127.0.0.1:{port}/protected/index.shtml"))
    return shown(driver, "who")


def asks_password(driver, page, timeout=15):
    """Whether loading `page` (again and again, while the logout is on its way) ends on authd's sign-in form."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        driver.get(page)
        wait_for(driver, lambda d: d.current_url.startswith(authd) or "index.shtml" in d.current_url)
        if driver.current_url.startswith(f"{authd}/ui/login"):
            return True
        time.sleep(0.3)
    return False


driver = browser()
try:
    # 1. Sign in to A through authd's form.
    driver.get(page_a)
    wait_for(driver, lambda d: d.current_url.startswith(f"{authd}/ui/login"))
    fill(driver, alice, "alice's apache password", before=lambda d: save(d, shots, "apache-sign-in"))
    check(on_page(driver, port_a) == alice, "vhost A: REMOTE_USER is the preferred_username claim")
    check(shown(driver, "email") == f"{alice}@example.com", "vhost A: the e-mail claim reached the page")
    sid = shown(driver, "sid")
    check(re.fullmatch(r"[A-Za-z0-9_-]{22}", sid) is not None, f"vhost A: the ID token carries a sid ({sid})")
    save(driver, shots, "apache-protected")
    first_token = shown(driver, "at")

    # 2. Refresh before expiry: the next load carries a new access token.
    time.sleep(2.5)
    driver.get(page_a)
    check(on_page(driver, port_a) == alice, "vhost A: still signed in")
    second_token = shown(driver, "at")
    check(second_token not in ("", "(none)") and second_token != first_token,
          f"vhost A: mod_auth_openidc refreshed the access token with the refresh token ({first_token[:12]}… → {second_token[:12]}…)")

    # 3. SSO through form_post on B.
    driver.get(page_b)
    check(on_page(driver, port_b) == alice, "vhost B (form_post): signed in by the SSO session, no password asked")
    check(shown(driver, "sid") == sid, "vhost B: the same SSO session's sid")

    # 4. Sign out at authd itself.
    driver.get(f"{authd}/ui/consents")
    wait_for(driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "form[action='/ui/logout']")))
    driver.find_element(By.CSS_SELECTOR, "form[action='/ui/logout'] button").click()
    wait_for(driver, lambda d: "Signed out" in d.page_source)
    frames = [frame.get_attribute("src") for frame in driver.find_elements(By.TAG_NAME, "iframe")]
    check(len(frames) == 1 and frames[0].startswith(f"http://127.0.0.1:{port_b}/protected/redirect_uri?logout=get&iss=")
          and frames[0].endswith(f"&sid={sid}"), f"the signed-out page frames B's front-channel URI: {frames}")
    time.sleep(1)  # the frame's request, before the page is left
    save(driver, shots, "apache-signed-out")
    check(asks_password(driver, page_b), "vhost B: front-channel logout ended its session")
    check(asks_password(driver, page_a), "vhost A: back-channel logout (the outbox's POST) ended its session")
finally:
    driver.quit()

sys.exit(1 if check.failures else 0)
