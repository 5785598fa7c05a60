"""The nginx portal flow in headless Chromium (selenium): nginx with config/nginx/authd-auth-request.conf
in front of an echo application, authd's portal on another host under the same domain.
Usage: nginx_portal_check.py AUTHD_PORT NGINX_PORT SUFFIX SCREENSHOT_DIR

Hosts are names under .localhost (Chromium resolves them to loopback): the application at
app.authd.localhost, the portal at auth.authd.localhost, the cookie domain authd.localhost.

1. An unauthenticated request to a protected location ends on the portal's sign-in page, which
   names the application; after signing in the browser is on the original page (path and query
   kept) and the application received X-Auth-User. The access_token cookie is the domain's.
2. A return address on a host not in oidc.return_hosts is an error page on the portal.
3. Signing out at the portal: the application sends the browser to the portal again.
4. The sign-in form brute-forced: after five wrong passwords the right one is refused too (the
   http stack's lockout, with the same message), and further attempts get 429 "Too many sign-in attempts".
"""
import sys
from urllib.parse import quote

import requests
from browser import Checks, browser, shot, sign_in, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

authd_port, nginx_port, suffix, shots = sys.argv[1:5]
portal = f"http://auth.authd.localhost:{authd_port}"
app = f"http://app.authd.localhost:{nginx_port}"
check = Checks()


def register(name, password):
    response = requests.post(f"http://127.0.0.1:{authd_port}/register", timeout=10,
                             json={"username": name, "email": f"{name}@example.com", "password": password})
    assert response.status_code == 201, response.text


def body(driver):
    return driver.find_element(By.TAG_NAME, "body").text


carol, dave = f"carol{suffix}", f"dave{suffix}"
register(carol, "carol's long password")
register(dave, "dave's long password")

driver = browser()
try:
    # 1. Off to the portal and back.
    page = f"{app}/app/reports?month=11&year=2026"
    driver.get(page)
    wait_for(driver, expected_conditions.presence_of_element_located((By.ID, "username")))
    check(driver.current_url.startswith(f"{portal}/ui/login?rd="), f"sent to the portal: {driver.current_url}")
    check("continue to app.authd.localhost" in body(driver), "the sign-in page names the application")
    sign_in(driver, carol, "carol's long password", before=lambda d: shot(d, shots, "nginx-sign-in"))
    wait_for(driver, lambda d: d.current_url.startswith(app))
    check(driver.current_url == page, f"back on the original page: {driver.current_url}")
    check(f"path=/app/reports?month=11&year=2026 user={carol} " in body(driver),
          f"the application got X-Auth-User: {body(driver)!r}")
    cookie = driver.get_cookie("access_token") or {}
    check(cookie.get("domain", "").lstrip(".") == "authd.localhost" and cookie.get("httpOnly") is True,
          f"the access_token cookie is the domain's and HttpOnly: {cookie.get('domain')}")
    driver.get(f"{app}/app/other")
    check(f"user={carol} " in body(driver), "another protected page: no portal on the way")

    # 2. A foreign return address.
    driver.get(f"{portal}/ui/login?rd=" + quote("https://evil.example/steal", safe=""))
    wait_for(driver, expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
    check(driver.current_url.startswith(portal) and "not one authd may send you to" in body(driver),
          "a return address off the list: an error page on the portal")
    shot(driver, shots, "nginx-foreign-return")

    # 3. Sign out at the portal.
    driver.get(f"{portal}/ui/consents")
    wait_for(driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "form[action='/ui/logout']")))
    driver.find_element(By.CSS_SELECTOR, "form[action='/ui/logout'] button").click()
    wait_for(driver, lambda d: "Signed out" in body(d))
    driver.get(page)
    wait_for(driver, lambda d: d.current_url.startswith(portal))
    check("/ui/login?rd=" in driver.current_url, "signed out: the application sends the browser to the portal again")

    # 4. Brute force on the form.
    driver.get(page)
    for attempt in range(5):
        sign_in(driver, dave, f"wrong guess {attempt}")
        wait_for(driver, expected_conditions.presence_of_element_located((By.CLASS_NAME, "alert")))
    check("Invalid username or password." in body(driver), "wrong passwords: the sign-in page, one message")
    sign_in(driver, dave, "dave's long password")
    wait_for(driver, expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
    check(driver.current_url.startswith(portal) and "Invalid username or password." in body(driver),
          "locked after five failures: the right password is refused with the same message")
    limited = False
    for attempt in range(30):
        if "Too many sign-in attempts" in body(driver):
            limited = True
            break
        sign_in(driver, dave, f"more guesses {attempt}")
        wait_for(driver, expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
    check(limited, "further attempts: 429 Too many sign-in attempts (limits.attempts)")
    shot(driver, shots, "too-many-attempts")
finally:
    driver.quit()

sys.exit(1 if check.failures else 0)
