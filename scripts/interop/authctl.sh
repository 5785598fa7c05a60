#!/usr/bin/env bash
# authctl's line-protocol commands against a running authd, exit codes included
# (0 OK, 1 NO, 2 TEMP or unreachable, 3 BAD or usage), then PAM through pam_exec with pamtester
# (root only: it writes a service file into /etc/pam.d, removed on exit).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
# A line client "pam" for the ssh stack: authctl pam passes PAM_RHOST on only as a client.
keyfile="$interop_work/pam-key"
head -c 32 /dev/urandom | base64 > "$keyfile"
chmod 600 "$keyfile"
AUTHD_LINE_CLIENTS="pam:$(tr -d '\n' < "$keyfile" | sha256sum | cut -d' ' -f1):ssh"
export AUTHD_LINE_CLIENTS
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$interop_work/mfa-key"
export AUTHD_MFA_KEY_FILE="$interop_work/mfa-key"
start_authd

ctl=.build/debug/authctl
addr="127.0.0.1:$LINE_PORT"

user="pam$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "pam password 1"
token=$(login "$user" "pam password 1")

expect_status 0 "ping" $ctl ping --addr "$addr"
expect_status 0 "verify a good token" $ctl verify --addr "$addr" "$token"
expect_status 1 "verify a bad token" $ctl verify --addr "$addr" "${token}x"
expect_status 0 "has-role user" $ctl has-role --addr "$addr" "$token" user
expect_status 1 "has-role admin" $ctl has-role --addr "$addr" "$token" admin
expect_status 0 "auth, right password" bash -c "printf 'pam password 1\n' | $ctl auth --addr $addr --service ssh --user $user"
expect_status 1 "auth, wrong password" bash -c "printf 'wrong\n' | $ctl auth --addr $addr --service ssh --user $user"
expect_status 1 "auth, unknown user" bash -c "printf 'pam password 1\n' | $ctl auth --addr $addr --service ssh --user nobody-$user"
expect_status 0 "auth as the pam client" bash -c "printf 'pam password 1\n' | $ctl auth --addr $addr --client pam --key-file $keyfile --service ssh --user $user"
echo wrong-key > "$interop_work/wrong-key"
expect_status 1 "auth as the pam client, wrong key (NO client_auth_failed)" bash -c "printf 'pam password 1\n' | $ctl auth --addr $addr --client pam --key-file $interop_work/wrong-key --service ssh --user $user"
expect_status 3 "auth, bad service name (BAD)" bash -c "printf 'x\n' | $ctl auth --addr $addr --service 'Bad Service' --user $user"
expect_status 2 "unreachable daemon" $ctl ping --addr "127.0.0.1:$(free_port)"
expect_status 3 "usage error" $ctl verify --addr "$addr"
keyout="$interop_work/generated.pem"
expect_status 0 "key generate" $ctl key generate --alg EdDSA --out "$keyout"
if [ "$(stat -c %a "$keyout")" = 600 ]; then
    echo "ok: the key file is mode 600"
else
    echo "FAIL: key file mode $(stat -c %a "$keyout")" >&2
    failures=$((failures + 1))
fi
before=$(sha256sum <"$keyout")
expect_status 1 "key generate onto an existing file (left alone)" $ctl key generate --alg ES256 --out "$keyout"
if [ "$(sha256sum <"$keyout")" = "$before" ]; then
    echo "ok: the existing key is unchanged"
else
    echo "FAIL: the existing key changed" >&2
    failures=$((failures + 1))
fi
expect_status 3 "key generate with an unknown algorithm" $ctl key generate --alg HS256 --out "$interop_work/x.pem"

if [ "$(id -u)" = 0 ]; then
    have_pam_exec() { compgen -G "/lib/*/security/pam_exec.so" >/dev/null || compgen -G "/usr/lib/*/security/pam_exec.so" >/dev/null; }
    if ! command -v pamtester >/dev/null || ! have_pam_exec; then
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q pamtester libpam-modules >/dev/null
    fi
    service="authd-test-$$"
    pamfile="/etc/pam.d/$service"
    trap 'rm -f "$pamfile" "$pamfile-nokey"; stop_authd' EXIT
    sed -e "s|@AUTHCTL@|$PWD/$ctl|" -e "s|@ADDR@|$addr|" -e "s|@KEYFILE@|$keyfile|" config/pam.d/authd-example > "$pamfile"
    sed -e 's| --client pam --key-file [^ ]*||' "$pamfile" > "$pamfile-nokey"
    expect_status 0 "pamtester, right password" bash -c "printf 'pam password 1\n' | pamtester $service $user authenticate"
    expect_status 1 "pamtester, wrong password" bash -c "printf 'wrong password\n' | pamtester $service $user authenticate"
    expect_status 1 "pamtester, unknown user" bash -c "printf 'pam password 1\n' | pamtester $service nobody-$user authenticate"
    # The shipped ssh stack allows private networks: PAM_RHOST is what it checks.
    expect_status 0 "pamtester, SSH client on a private network" bash -c "printf 'pam password 1\n' | pamtester -I rhost=10.1.2.3 $service $user authenticate"
    expect_status 1 "pamtester, SSH client on a public address (source refuses)" bash -c "printf 'pam password 1\n' | pamtester -I rhost=192.0.2.1 $service $user authenticate"
    expect_status 1 "pamtester, PAM_RHOST but no client key: denied" bash -c "printf 'pam password 1\n' | pamtester -I rhost=10.1.2.3 $service-nokey $user authenticate"
    expect_status 0 "pamtester, no PAM_RHOST and no client key (a local login)" bash -c "printf 'pam password 1\n' | pamtester $service-nokey $user authenticate"

    # pam_authd.so: the PAM conversation asks for the password and a one-time code (config/pam.d/sshd-authd).
    make -s pam
    scripts/install-deps.sh oathtool
    sed -e "s|@PAM_AUTHD@|$PWD/.build/pam_authd.so|" -e "s|@AUTHCTL@|$PWD/$ctl|" -e "s|@ADDR@|$addr|" \
        -e "s|@KEYFILE@|$keyfile|" config/pam.d/sshd-authd | grep -v '^@include' > "$pamfile-otp"
    trap 'rm -f "$pamfile" "$pamfile-nokey" "$pamfile-otp"; stop_authd' EXIT
    otp_user="otp$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    register "$otp_user" "pam password 2"
    # Enrols TOTP over HTTP with an oathtool code; prints the secret and one recovery code.
    read -r secret recovery < <(python3 - "$HTTP_PORT" "$otp_user" <<'PY'
import json, subprocess, sys, urllib.request
port, user = sys.argv[1:]
def call(path, body, token=None):
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers=headers)
    return json.load(urllib.request.urlopen(request, timeout=10))
token = call("/login", {"username": user, "password": "pam password 2"})["access_token"]
secret = call("/mfa/totp/setup", {}, token)["secret"]
code = subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True, text=True, check=True).stdout.strip()
print(secret, call("/mfa/totp/confirm", {"code": code}, token)["recovery_codes"][0])
PY
    )
    next_code=$(oathtool --totp -b -N "@$(($(date +%s) + 30))" "$secret")
    expect_status 1 "pam_authd, enrolled user, password without a code" \
        bash -c "printf 'pam password 2\n\n' | pamtester -I rhost=10.1.2.3 $service-otp $otp_user authenticate"
    expect_status 1 "pam_authd, enrolled user, a wrong code" \
        bash -c "printf 'pam password 2\n000000\n' | pamtester -I rhost=10.1.2.3 $service-otp $otp_user authenticate"
    expect_status 0 "pam_authd, enrolled user, password and TOTP code through the conversation" \
        bash -c "printf 'pam password 2\n$next_code\n' | pamtester -I rhost=10.1.2.3 $service-otp $otp_user authenticate"
    expect_status 0 "pam_authd, enrolled user, password and a recovery code" \
        bash -c "printf 'pam password 2\n$recovery\n' | pamtester -I rhost=10.1.2.3 $service-otp $otp_user authenticate"
    expect_status 1 "pam_authd, the recovery code a second time" \
        bash -c "printf 'pam password 2\n$recovery\n' | pamtester -I rhost=10.1.2.3 $service-otp $otp_user authenticate"
    expect_status 1 "pam_authd, a wrong password with a good code" \
        bash -c "printf 'wrong\n$(oathtool --totp -b -N "@$(($(date +%s) + 60))" "$secret")\n' | pamtester -I rhost=10.1.2.3 $service-otp $otp_user authenticate"
    expect_status 0 "pam_authd, a user without TOTP leaves the code empty" \
        bash -c "printf 'pam password 1\n\n' | pamtester -I rhost=10.1.2.3 $service-otp $user authenticate"
    # Between fork and exec pam_authd makes only async-signal-safe calls: pamtester with an
    # allocator that ends any forked child calling malloc before exec (scripts/interop/forkcheck.c).
    forkcheck="$(mktemp -d)/forkcheck.so"
    cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$forkcheck" scripts/interop/forkcheck.c
    expect_status 0 "pam_authd, no allocation between fork and exec" \
        bash -c "printf 'pam password 1\n\n' | LD_PRELOAD=$forkcheck pamtester -I rhost=10.1.2.3 $service-otp $user authenticate"
    bad_addr=$(sed -e "s|--addr $addr|--addr 127.0.0.1:$(free_port)|" "$pamfile-otp")
    printf '%s\n' "$bad_addr" > "$pamfile-otp"
    expect_status 1 "pam_authd, authd unreachable: no login" \
        bash -c "printf 'pam password 1\n\n' | pamtester -I rhost=10.1.2.3 $service-otp $user authenticate"
else
    echo "skip: pamtester checks need root (they write /etc/pam.d)"
fi

if [ "$failures" -ne 0 ]; then
    cat "$interop_work/authd.log" >&2
    echo "interop: authctl/PAM checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: authctl/PAM checks passed"
