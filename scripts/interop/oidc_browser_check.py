"""Headless Chromium (selenium) signs in to two Authlib relying parties through authd's portal.
Usage: oidc_browser_check.py AUTHD_PORT OTHER_AUTHD_PORT RP1_PORT RP2_PORT SUFFIX SCREENSHOT_DIR

1. A user opens RP 1, is sent to authd, types username and password into the real form, allows
   the consent page, and lands back signed in: RP 1 (Authlib) validated the ID token through
   discovery and the JWK Set; amr is pwd.
2. SSO: RP 2 signs the same browser in with no password page (consent only: another client).
3. A user with TOTP (enrolled over the JSON API, codes from pyotp) gets the one-time code page
   after the password and lands back with amr pwd otp.
4. prompt=none in a browser with no SSO session comes back to the RP as login_required.
5. POST /logout/all on the other instance ends the SSO session: RP 1 asks for a password again.
6. RP-initiated logout from RP 1: authd's confirmation page, back to RP 1 with the state, and the
   SSO session is gone (RP 2 asks for the password).
8. response_mode=form_post: signed in, RP 1 asks again with it; authd's page posts the code to RP 1
   (its one script allowed by hash), which signs the user in from the posted form.
7. Login CSRF: an attacker (requests) signs in to RP 1's request as themselves, allows it and keeps
   the continuation; a victim's Chromium, signed in to authd, opens it: an error page on authd,
   never a redirect to the RP with a code.
9. The device grant (RFC 8628): a television (Authlib's OAuth2Session, a public client) gets a
   user code and polls (authorization_pending); the browser opens verification_uri_complete,
   signs in, sees the TV's name and the code, allows; the next poll gets tokens whose ID token
   and access token (RFC 9068: oauth.access_token_format rfc9068) Authlib verifies with the JWK Set.
   The TV sends a DPoP proof (RFC 9449) of its own P-256 key with every token request: its tokens
   are bound to that key (token_type DPoP, cnf.jkt its thumbprint); userinfo answers them with a
   fresh proof, refuses them as Bearer and refuses a replayed proof; the refresh token works only
   with a proof by the same key.
"""
import base64
import hashlib
import html
import re
import sys
import time
import uuid

import pyotp
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from browser import Checks, browser, wait_for
from browser import shot as save
from browser import sign_in as fill
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

authd_port, other_port, rp1, rp2, suffix, shots = sys.argv[1:7]
authd = f"http://127.0.0.1:{authd_port}"
other = f"http://127.0.0.1:{other_port}"
check = Checks()


def register(name, password):
    response = requests.post(f"{authd}/register", json={"username": name, "email": f"{name}@example.com",
                                                         "password": password}, timeout=10)
    assert response.status_code == 201, response.text


def token(name, password):
    response = requests.post(f"{authd}/login", json={"username": name, "password": password}, timeout=10)
    return response.json()


def shot(driver, name):
    save(driver, shots, name)


def sign_in(driver, name, password, screenshot=None):
    fill(driver, name, password, before=(lambda d: shot(d, screenshot)) if screenshot else None)


def allow(driver, screenshot=None):
    wait_for(driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "button[value=allow]")))
    if screenshot:
        shot(driver, screenshot)
    driver.find_element(By.CSS_SELECTOR, "button[value=allow]").click()


def signed_in_as(driver, rp):
    wait_for(driver, lambda d: d.current_url.startswith(f"http://127.0.0.1:{rp}/"))
    wait_for(driver, expected_conditions.presence_of_element_located((By.ID, "who")))
    return driver.find_element(By.ID, "who").text


alice, bob, mallory = f"alice{suffix}", f"bob{suffix}", f"mallory{suffix}"
register(alice, "alice's long password")
register(bob, "bob's long password")
register(mallory, "mallory's long password")


def hidden(name, page):
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def dpop_proof(key, method, url, access_token=None):
    """A DPoP proof (RFC 9449 §4.2) of `key` for one request, made with Authlib's JOSE."""
    claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
    if access_token:
        digest = hashlib.sha256(access_token.encode()).digest()
        claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    header = {"alg": "ES256", "typ": "dpop+jwt", "jwk": key.as_dict(is_private=False)}
    return jwt.encode(header, claims, key).decode()


def attacker_continuation():
    """Mallory's own HTTP client through RP 1's request: sign in, allow, and keep the Location
    the consent form answers with instead of following it."""
    rp = requests.Session()
    authorize = rp.get(f"http://127.0.0.1:{rp1}/login", allow_redirects=False, timeout=10).headers["Location"]
    portal = requests.Session()
    start = portal.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    login = portal.get(authd + start, timeout=10).text
    signed_in = portal.post(f"{authd}/ui/login", data={"csrf": hidden("csrf", login), "authz": hidden("authz", login),
                                                        "username": mallory, "password": "mallory's long password"},
                            allow_redirects=False, timeout=10)
    resumed = portal.get(authd + signed_in.headers["Location"], allow_redirects=False, timeout=10)
    consent = portal.get(authd + resumed.headers["Location"], timeout=10).text
    allowed = portal.post(f"{authd}/ui/consent", data={"csrf": hidden("csrf", consent), "authz": hidden("authz", consent),
                                                        "decision": "allow"}, allow_redirects=False, timeout=10)
    return allowed.headers["Location"]


# Bob enrols TOTP over the JSON API.
access = token(bob, "bob's long password")["access_token"]
setup = requests.post(f"{authd}/mfa/totp/setup", headers={"Authorization": f"Bearer {access}"}, timeout=10).json()
totp = pyotp.TOTP(setup["secret"])
confirmed = requests.post(f"{authd}/mfa/totp/confirm", headers={"Authorization": f"Bearer {access}"},
                          json={"code": totp.now()}, timeout=10)
assert confirmed.status_code == 200, confirmed.text

driver = browser()
try:
    # 1. Password and consent.
    driver.get(f"http://127.0.0.1:{rp1}/login")
    sign_in(driver, alice, "wrong password")
    wait_for(driver, expected_conditions.presence_of_element_located((By.CLASS_NAME, "alert")))
    check("Invalid username or password." in driver.page_source, "a wrong password: the sign-in page again, one message")
    shot(driver, "sign-in-refused")
    sign_in(driver, alice, "alice's long password", screenshot=None)
    allow(driver, screenshot="consent")
    check(signed_in_as(driver, rp1) == alice, "RP 1 (Authlib) validated the ID token and shows the user")
    check(driver.find_element(By.ID, "amr").text == "pwd", "amr: pwd")

    check(driver.find_element(By.ID, "via").text == "GET", "the code came in the redirect's query")

    # 8. form_post: the same sign-in again, the code posted to RP 1 by authd's page.
    driver.get(f"http://127.0.0.1:{rp1}/login?mode=form_post")
    wait_for(driver, lambda d: d.current_url.startswith(f"http://127.0.0.1:{rp1}/")
             and d.find_elements(By.ID, "via") and d.find_element(By.ID, "via").text == "POST")
    check(signed_in_as(driver, rp1) == alice, "response_mode=form_post: RP 1 signed the user in from the posted form")

    # 2. SSO into RP 2: consent for the new client, no password page.
    driver.get(f"http://127.0.0.1:{rp2}/login")
    wait_for(driver, lambda d: "/ui/consent" in d.current_url or d.current_url.startswith(f"http://127.0.0.1:{rp2}/"))
    check("/ui/login" not in driver.current_url, "RP 2: no password asked (single sign-on)")
    # 7. Alice's browser, signed in to authd, opens the continuation Mallory allowed in hers.
    continuation = attacker_continuation()
    check(continuation.startswith("/oauth2/authorize?authz="), f"the attacker kept a continuation: {continuation[:40]}")
    driver.get(authd + continuation)
    wait_for(driver, expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
    check(driver.current_url.startswith(authd) and "code=" not in driver.current_url
          and "started by another sign-in" in driver.page_source,
          "login CSRF: another sign-in's continuation is an error page in the victim's browser, no code")
    shot(driver, "foreign-continuation")
    driver.get(f"http://127.0.0.1:{rp2}/login")
    wait_for(driver, lambda d: "/ui/consent" in d.current_url or d.current_url.startswith(f"http://127.0.0.1:{rp2}/"))
    allow(driver)
    check(signed_in_as(driver, rp2) == alice, "RP 2 signed in the same user")
    driver.get(f"{authd}/ui/consents")
    wait_for(driver, expected_conditions.presence_of_element_located((By.CLASS_NAME, "consents")))
    shot(driver, "consents")
    check(driver.page_source.count("Withdraw") == 2, "the consents page lists both relying parties")

    # 5. Logout everywhere on the other instance ends the SSO session here.
    alice_token = token(alice, "alice's long password")["access_token"]
    out = requests.post(f"{other}/logout/all", headers={"Authorization": f"Bearer {alice_token}"}, timeout=10)
    check(out.status_code in (200, 204), f"/logout/all on the other instance: {out.status_code}")
    driver.delete_cookie(f"rp{rp1}")
    driver.get(f"http://127.0.0.1:{rp1}/login")
    wait_for(driver, lambda d: "/ui/" in d.current_url or d.current_url.startswith(f"http://127.0.0.1:{rp1}/"))
    check("/ui/login" in driver.current_url, "after /logout/all on the other instance the password is asked again")
finally:
    driver.quit()

driver = browser()
try:
    # 4. prompt=none without a session.
    driver.get(f"http://127.0.0.1:{rp1}/login?prompt=none")
    wait_for(driver, expected_conditions.presence_of_element_located((By.ID, "error")))
    check(driver.find_element(By.ID, "error").text == "error: login_required", "prompt=none without a session")

    # 3. The one-time code step.
    driver.get(f"http://127.0.0.1:{rp1}/login")
    sign_in(driver, bob, "bob's long password", screenshot="sign-in")
    wait_for(driver, expected_conditions.presence_of_element_located((By.ID, "code")))
    shot(driver, "one-time-code")
    # A code of the next time step: the enrolment spent the current one.
    driver.find_element(By.ID, "code").send_keys(totp.at(time.time() + 30))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    allow(driver)
    check(signed_in_as(driver, rp1) == bob, "the TOTP user lands back signed in")
    check(driver.find_element(By.ID, "amr").text == "pwd otp", "amr: pwd otp")

    # 6. RP-initiated logout.
    driver.get(f"http://127.0.0.1:{rp1}/logout")
    wait_for(driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "button[type=submit]")))
    check("Sign out?" in driver.page_source, "end_session_endpoint asks the user to confirm")
    shot(driver, "sign-out")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: d.current_url.startswith(f"http://127.0.0.1:{rp1}/"))
    check(driver.current_url.endswith("/?state=out"), f"back to RP 1 with the state: {driver.current_url}")
    driver.get(f"http://127.0.0.1:{rp2}/login")
    wait_for(driver, lambda d: "/ui/" in d.current_url or d.current_url.startswith(f"http://127.0.0.1:{rp2}/"))
    check("/ui/login" in driver.current_url, "the logout ended the SSO session: RP 2 asks for the password")
    driver.get(f"{authd}/oauth2/authorize?client_id=nobody&redirect_uri=https://evil.example/")
    shot(driver, "error")

    # 9. The device grant: the TV asks, the person allows in the browser, the TV polls.
    tv = OAuth2Session(client_id=f"tv-{suffix}", scope="openid profile", token_endpoint_auth_method="none")
    started = tv.post(f"{authd}/oauth2/device_authorization", withhold_token=True,
                      data={"client_id": f"tv-{suffix}", "scope": "openid profile"}, timeout=10).json()
    check(re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", started.get("user_code", "")) is not None,
          f"device authorization: a user code to show ({started.get('user_code')})")
    device_grant = "urn:ietf:params:oauth:grant-type:device_code"
    tv_key = JsonWebKey.generate_key("EC", "P-256", is_private=True)
    token_url = f"{authd}/oauth2/token"

    def poll():
        try:
            return tv.fetch_token(token_url, grant_type=device_grant, device_code=started["device_code"],
                                  headers={"DPoP": dpop_proof(tv_key, "POST", token_url)}, timeout=10)
        except OAuthError as refused:
            return refused.error

    check(poll() == "authorization_pending", "the TV's first poll: authorization_pending")
    driver.get(started["verification_uri_complete"])
    sign_in(driver, alice, "alice's long password")
    wait_for(driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "button[value=allow]")))
    check("Living room TV" in driver.page_source and started["user_code"] in driver.page_source,
          "the device page shows the TV's name and its code to compare")
    shot(driver, "device")
    driver.find_element(By.CSS_SELECTOR, "button[value=allow]").click()
    wait_for(driver, lambda d: "Device connected" in d.page_source)
    time.sleep(started["interval"])
    tokens = poll()
    check(isinstance(tokens, dict) and "access_token" in tokens,
          f"the next poll gets the tokens ({sorted(tokens) if isinstance(tokens, dict) else tokens})")
    if isinstance(tokens, dict):
        keys = JsonWebKey.import_key_set(requests.get(f"{authd}/.well-known/jwks.json", timeout=10).json())
        claims = jwt.decode(tokens["id_token"], keys)
        claims.validate()
        check(claims["aud"] == f"tv-{suffix}" and claims["iss"] == authd,
              "the device's ID token verifies with the JWK Set, for the TV")
        access = jwt.decode(tokens["access_token"], keys)
        access.validate()
        check(access.header.get("typ") == "at+jwt" and access.header.get("alg") == "RS256" and access["iss"] == authd
              and access["client_id"] == f"tv-{suffix}",
              "its access token is RFC 9068's: at+jwt, RS256, iss the issuer URL, verified with the JWK Set alone")
        check(tokens.get("token_type") == "DPoP" and access.get("cnf", {}).get("jkt") == tv_key.thumbprint(),
              "the TV's proofs bound its tokens to its key: token_type DPoP, cnf.jkt its thumbprint")
        userinfo = f"{authd}/oauth2/userinfo"
        proof = dpop_proof(tv_key, "GET", userinfo, tokens["access_token"])
        dpop = {"Authorization": f"DPoP {tokens['access_token']}", "DPoP": proof}
        answer = requests.get(userinfo, headers=dpop, timeout=10)
        check(answer.status_code == 200 and answer.json().get("preferred_username") == alice,
              f"userinfo answers the bound token with a fresh proof ({answer.status_code})")
        replayed = requests.get(userinfo, headers=dpop, timeout=10)
        check(replayed.status_code == 401 and replayed.headers.get("WWW-Authenticate", "").startswith("DPoP ")
              and replayed.json().get("error") == "invalid_dpop_proof", "the same proof again is refused")
        bearer = requests.get(userinfo, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)
        check(bearer.status_code == 401, "the bound token as a Bearer token is refused")
        try:
            tv.refresh_token(token_url, refresh_token=tokens["refresh_token"], timeout=10)
            check(False, "a bound refresh token without a proof is refused")
        except OAuthError as refused:
            check(refused.error == "invalid_dpop_proof", f"a bound refresh token without a proof: {refused.error}")
        renewed = tv.refresh_token(token_url, refresh_token=tokens["refresh_token"], timeout=10,
                                   headers={"DPoP": dpop_proof(tv_key, "POST", token_url)})
        check(renewed.get("token_type") == "DPoP", "with a proof by the same key it refreshes, still bound")
    check(poll() == "invalid_grant", "the device code is spent")
finally:
    driver.quit()

sys.exit(1 if check.failures else 0)
