"""TOTP interop against a running authd: enrol with an oathtool code, log in with a pyotp code,
AUTH over the line protocol with and without otp=, the enrolment QR code module-for-module equal to
PyPI qrcode's for the same version and mask. Exits non-zero on the first failed check."""
import os
import re
import secrets
import subprocess
import time

import pyotp
import qrcode
import qrcode.util
from authd_client import call
from checks import require as check

URL = os.environ["AUTHD_URL"]
LINE = os.environ["AUTHD_LINE"]
PASSWORD = "totp interop pw 1"


def oathtool(secret, at):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))
    return subprocess.run(["oathtool", "--totp", "-b", "-N", stamp, secret],
                          check=True, capture_output=True, text=True).stdout.strip()


def qr_matrix(svg):
    """The dark modules of authd's SVG (a 4-module quiet zone, one 1x1 square per dark module)."""
    side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    size = side - 8
    matrix = [[False] * size for _ in range(size)]
    for x, y in re.findall(r"M(\d+),(\d+)h1v1h-1z", svg):
        matrix[int(y) - 4][int(x) - 4] = True
    return matrix


def check_qr(svg, uri):
    """Reads version and mask from authd's symbol and has PyPI qrcode draw the same URI with them."""
    matrix = qr_matrix(svg)
    version = (len(matrix) - 17) // 4
    format_bits = sum(matrix[i][8] << i for i in range(6)) | matrix[7][8] << 6 | matrix[8][8] << 7 \
        | matrix[8][7] << 8 | sum(matrix[8][14 - i] << i for i in range(9, 15))
    format_bits ^= 0x5412
    check(format_bits >> 13 == 0, "the QR code's error correction level is M")
    reference = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M,
                              border=0, mask_pattern=(format_bits >> 10) & 7)
    reference.add_data(qrcode.util.QRData(uri.encode(), mode=qrcode.util.MODE_8BIT_BYTE))
    reference.make(fit=False)
    check(reference.get_matrix() == matrix,
          f"the QR code (version {version}, mask {(format_bits >> 10) & 7}) equals PyPI qrcode's, module for module")


def auth(user, otp=None):
    """authctl auth over the line protocol: 0 OK, 1 NO, 2 TEMP, 3 BAD."""
    args = [".build/debug/authctl", "auth", "--addr", LINE, "--service", "ssh", "--user", user]
    if otp:
        args += ["--otp", otp]
    return subprocess.run(args, input=PASSWORD + "\n", text=True, capture_output=True).returncode


def enrolled_user(code_for):
    """Registers a user and enrols TOTP, confirming with code_for(secret, now); returns the name, the
    secret, the recovery codes and the time of the confirming code."""
    name = "totp" + secrets.token_hex(4)
    status, _ = call("POST", "/register", {"username": name, "email": f"{name}@example.com", "password": PASSWORD})
    check(status == 201, f"register {name}")
    status, body = call("POST", "/login", {"username": name, "password": PASSWORD})
    token = body["access_token"]
    status, setup = call("POST", "/mfa/totp/setup", {}, token)
    check(status == 200, "setup")
    parsed = pyotp.parse_uri(setup["otpauth_uri"])
    check_qr(setup["qr_svg"], setup["otpauth_uri"])
    check(isinstance(parsed, pyotp.TOTP) and parsed.secret == setup["secret"] and parsed.issuer == "authd"
          and parsed.name == name and parsed.digits == 6 and parsed.interval == 30,
          "the otpauth:// URI parses in pyotp with the secret, issuer, account, digits and period")
    confirmed_at = time.time()
    status, confirmed = call("POST", "/mfa/totp/confirm", {"code": code_for(setup["secret"], confirmed_at)}, token)
    check(status == 200 and len(confirmed["recovery_codes"]) == 10, "confirm")
    return name, setup["secret"], confirmed["recovery_codes"], confirmed_at


# HTTP: enrolled with an oathtool code, logged in with a pyotp code of the next step.
name, secret, recovery, confirmed_at = enrolled_user(oathtool)
status, login = call("POST", "/login", {"username": name, "password": PASSWORD})
check(status == 200 and login.get("mfa_required") is True and "access_token" not in login,
      "login asks for the second factor")
status, _ = call("POST", "/login/mfa", {"mfa_token": login["mfa_token"], "code": pyotp.TOTP(secret).at(confirmed_at)})
check(status == 401, "the code of the step used to confirm is refused (no replays)")
code = pyotp.TOTP(secret).at(confirmed_at + 30)
status, done = call("POST", "/login/mfa", {"mfa_token": login["mfa_token"], "code": code})
check(status == 200 and "access_token" in done, "a pyotp code completes the login")
status, _ = call("POST", "/login/mfa", {"mfa_token": login["mfa_token"], "code": code})
check(status == 401, "the same pyotp code is refused the second time")

# Line protocol: the shipped ssh stack has `totp if=enrolled`.
name, secret, recovery, confirmed_at = enrolled_user(lambda secret, now: pyotp.TOTP(secret).at(now))
check(auth(name) == 1, "AUTH without otp= is refused for an enrolled user")
check(auth(name, "000000") == 1, "AUTH with a wrong otp= is refused")
check(auth(name, oathtool(secret, confirmed_at + 30)) == 0, "AUTH with an oathtool code is accepted")
check(auth(name, recovery[0]) == 0, "AUTH with a recovery code is accepted")
check(auth(name, recovery[0]) == 1, "the same recovery code is refused the second time")
