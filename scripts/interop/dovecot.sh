#!/usr/bin/env bash
# Dovecot (Debian's dovecot-imapd) with authd as its passdb through authctl checkpassword, as in
# config/dovecot/authd-checkpassword.conf: Python's imaplib logs in over IMAP with a right
# password, a wrong one, an unknown user and a locked account (each attempt counted once), and
# with access tokens (XOAUTH2, OAUTHBEARER: config/dovecot/authd-oauth2.conf); as root, Postfix
# authenticates SMTP AUTH through the same Dovecot, and nginx's mail proxy asks authd's /mail/auth
# (config/nginx/authd-mail.conf) before proxying IMAP to it. While authd is away none of them
# lets anyone in.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
command -v dovecot >/dev/null || {
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null
}

dovecot_dir=$(mktemp -d)
chmod 755 "$dovecot_dir"
dovecot_pid=""
cleanup() {
    if [ -n "$dovecot_pid" ] && kill "$dovecot_pid" 2>/dev/null; then wait "$dovecot_pid" 2>/dev/null || true; fi
    rm -rf "$dovecot_dir"
    stop_authd
}
trap cleanup EXIT
keyfile="$dovecot_dir/dovecot.key"
head -c 32 /dev/urandom | base64 > "$keyfile"
chmod 600 "$keyfile"
# Dovecot's auth process runs as its internal user, dovecot, when started as root.
[ "$(id -u)" = 0 ] && chown dovecot "$keyfile"
AUTHD_LINE_CLIENTS="dovecot:$(tr -d '\n' < "$keyfile" | sha256sum | cut -d' ' -f1):imap"
export AUTHD_LINE_CLIENTS
export AUTHD_LIMITS_ATTEMPTS_BURST=0
imap_port=$(free_port)
# nginx's mail proxy (config/nginx/authd-mail.conf) in front of the same Dovecot, asking authd first.
export AUTHD_NGINX_MAIL_BACKENDS="imap=127.0.0.1:$imap_port" AUTHD_NGINX_MAIL_PROXIES=127.0.0.1/32
start_authd
ctl="$PWD/${AUTHCTL_BIN:-.build/debug/authctl}"
addr="127.0.0.1:$LINE_PORT"

# Dovecot runs as root here (it drops to its own users); a non-root run uses this user for mail.
mail_user=$(id -un)
[ "$(id -u)" = 0 ] && mail_user=nobody
mkdir -m 1777 "$dovecot_dir/mail"
sasl_port=$(free_port)
sed -e "s|@AUTHCTL@|$ctl|" -e "s|@ADDR@|$addr|" -e "s|@KEYFILE@|$keyfile|" \
    -e "s|@MAIL_UID@|$(id -u "$mail_user")|" -e "s|@MAIL_GID@|$(id -g "$mail_user")|" \
    -e "s|@MAIL_HOME@|$dovecot_dir/mail|" config/dovecot/authd-checkpassword.conf > "$dovecot_dir/authd.conf"
# XOAUTH2/OAUTHBEARER: an OAuth client of authd's for Dovecot's introspection requests, allowed to
# introspect tokens it was not issued (a resource server).
mail_client="dovecot$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
client_secret=$(.build/debug/authctl client create "$mail_client" --introspection --config config/authd.yaml \
    | sed -n 's/^client_secret=//p')
sed -e "s|@CONF_DIR@|$dovecot_dir|" config/dovecot/authd-oauth2.conf > "$dovecot_dir/oauth2.conf"
sed -e "s|@CLIENT_ID@|$mail_client|" -e "s|@CLIENT_SECRET@|$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$client_secret")|" \
    -e "s|@AUTHD_HTTP@|127.0.0.1:$HTTP_PORT|" config/dovecot/authd-oauth2.conf.ext > "$dovecot_dir/authd-oauth2.conf.ext"
cat > "$dovecot_dir/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $dovecot_dir/run
state_dir = $dovecot_dir/state
log_path = $dovecot_dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_verbose = yes
first_valid_uid = 1
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
}
# Postfix's SASL client (smtpd_sasl_type = dovecot) asks here.
service auth {
  inet_listener auth-client {
    address = 127.0.0.1
    port = $sasl_port
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
!include $dovecot_dir/authd.conf
!include $dovecot_dir/oauth2.conf
CONF
dovecot -F -c "$dovecot_dir/dovecot.conf" >"$dovecot_dir/dovecot.out" 2>&1 &
dovecot_pid=$!
for _ in $(seq 1 100); do
    (echo > "/dev/tcp/127.0.0.1/$imap_port") 2>/dev/null && break
    sleep 0.1
done

user="dc$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "dovecot password 1"
register "$user-locked" "dovecot password 2"

# imap USER PASSWORD [MECHANISM]: prints OK, NO (login refused), TEMP ([UNAVAILABLE]) or the
# error. With XOAUTH2 or OAUTHBEARER the password is an access token. The client connects from
# $SOURCE (127.0.0.1 by default), which is the address authd's lockout counts (by account+source).
imap() {
    python3 - "${IMAP_PORT:-$imap_port}" "$1" "$2" "${3:-LOGIN}" "${SOURCE:-127.0.0.1}" <<'PY'
import imaplib, socket, sys
port, user, password, mechanism, source = sys.argv[1:]

class SourcedIMAP4(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(source, 0))

connection = SourcedIMAP4("127.0.0.1", int(port), timeout=20)
try:
    if mechanism == "XOAUTH2":
        connection.authenticate(mechanism, lambda _: f"user={user}\x01auth=Bearer {password}\x01\x01".encode())
    elif mechanism == "OAUTHBEARER":
        connection.authenticate(mechanism, lambda _: f"n,a={user},\x01auth=Bearer {password}\x01\x01".encode())
    else:
        connection.login(user, password)
    connection.select("INBOX")
    print("OK")
except imaplib.IMAP4.error as error:
    print("TEMP" if "UNAVAILABLE" in str(error) else "NO")
finally:
    try:
        connection.logout()
    except Exception:
        pass
PY
}
failures_of() {
    psql "$AUTHD_DATABASE_URL" -tA -c "SELECT coalesce(sum(failures), 0) FROM login_failures WHERE username = '$1'"
}
expect OK "$(imap "$user" "dovecot password 1")" "IMAP login, right password"
expect NO "$(imap "$user" "wrong password")" "IMAP login, wrong password"
expect NO "$(imap "nobody-$user" "dovecot password 1")" "IMAP login, unknown user"
# Postfix submission authenticating through the same Dovecot (smtpd_sasl_type = dovecot).
if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null; then
    start_postfix "inet:127.0.0.1:$sasl_port"
    expect OK "$(SOURCE=127.0.0.2 smtp_auth "$user" "dovecot password 1")" "Postfix AUTH PLAIN through Dovecot, right password"
    expect NO "$(SOURCE=127.0.0.2 smtp_auth "$user" "wrong password")" "Postfix AUTH PLAIN through Dovecot, wrong password"
else
    echo "skip: Postfix needs root and Debian's postfix"
fi

for _ in 1 2 3; do SOURCE=127.0.0.3 imap "$user-locked" "wrong password" >/dev/null; done
expect 3 "$(failures_of "$user-locked")" "three wrong IMAP logins count three failures (no Dovecot retries)"
for _ in $(seq 4 10); do SOURCE=127.0.0.3 imap "$user-locked" "wrong password" >/dev/null; done
expect 10 "$(failures_of "$user-locked")" "ten wrong IMAP logins, ten failures"
expect NO "$(SOURCE=127.0.0.3 imap "$user-locked" "dovecot password 2")" "IMAP login, locked account (right password refused)"

token=$(login "$user" "dovecot password 1")
expect OK "$(imap "$user" "$token" XOAUTH2)" "XOAUTH2 with an access token (introspected)"
expect OK "$(imap "$user" "$token" OAUTHBEARER)" "OAUTHBEARER with an access token"
expect NO "$(imap "$user" "${token}x" XOAUTH2)" "XOAUTH2 with a forged token"
expect NO "$(imap "$user-locked" "$token" XOAUTH2)" "XOAUTH2 with another user's token"
before=$(failures_of "$user")
curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$HTTP_PORT/logout"
expect NO "$(imap "$user" "$token" OAUTHBEARER)" "OAUTHBEARER with a logged-out token"
expect "$before" "$(failures_of "$user")" "token logins never reach the password stack"

# nginx's mail proxy: authd's /mail/auth checks the login, then nginx proxies to Dovecot.
if [ "$(id -u)" = 0 ] && command -v nginx >/dev/null && [ -e /usr/lib/nginx/modules/ngx_mail_module.so ]; then
    nginx_port=$(free_port)
    sed -e "s|@AUTHD@|127.0.0.1:$HTTP_PORT|" -e "s|@IMAP_LISTEN@|127.0.0.1:$nginx_port|" \
        config/nginx/authd-mail.conf > "$dovecot_dir/authd-mail.conf"
    cat > "$dovecot_dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_mail_module.so;
daemon off;
worker_processes 1;
pid $dovecot_dir/nginx.pid;
error_log $dovecot_dir/nginx-error.log info;
events { worker_connections 256; }
include $dovecot_dir/authd-mail.conf;
CONF
    nginx -c "$dovecot_dir/nginx.conf" -p "$dovecot_dir" &
    server_pids+=($!)
    for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && break; sleep 0.1; done
    mail_user="$user-ngx"
    register "$mail_user" "nginx mail %pass 1"
    expect OK "$(SOURCE=127.0.0.6 IMAP_PORT=$nginx_port imap "$mail_user" "nginx mail %pass 1")" "IMAP through nginx, right password"
    expect NO "$(SOURCE=127.0.0.6 IMAP_PORT=$nginx_port imap "$mail_user" "wrong password")" "IMAP through nginx, wrong password"
    expect NO "$(SOURCE=127.0.0.6 IMAP_PORT=$nginx_port imap "nobody-$mail_user" "nginx mail %pass 1")" "IMAP through nginx, unknown user"
    expect "127.0.0.6 1" "$(psql "$AUTHD_DATABASE_URL" -tA -F ' ' -c "SELECT source, failures FROM login_failures WHERE username = '$mail_user'")" \
        "the failure counted once, under the mail client's address (nginx's Client-IP)"
    # Throughput: logins through nginx, each checked by authd (/mail/auth) and again by Dovecot
    # (checkpassword), 8 clients at once.
    started=$(date +%s.%N)
    python3 - "$nginx_port" "$mail_user" "nginx mail %pass 1" "${NGINX_LOGINS:-100}" <<'PY'
import concurrent.futures, imaplib, sys
port, user, password, count = sys.argv[1:]
def one(_):
    connection = imaplib.IMAP4("127.0.0.1", int(port), timeout=30)
    connection.login(user, password)
    connection.logout()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    list(pool.map(one, range(int(count))))
PY
    echo "figure: ${NGINX_LOGINS:-100} IMAP logins through nginx (8 at once) in $(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN {printf "%.2f", a - b}') s"
    nginx_running=1
else
    echo "skip: the nginx mail proxy needs root, nginx and libnginx-mod-mail"
fi

# authd away: a temporary failure, never a login; back: logins work with no Dovecot restart.
kill "${authd_pids[0]}"
wait "${authd_pids[0]}" 2>/dev/null || true
authd_pids=()
expect TEMP "$(SOURCE=127.0.0.4 imap "$user" "dovecot password 1")" "IMAP login while authd is away: temporary failure"
if [ -n "${SMTP_PORT:-}" ]; then
    # Dovecot answers Postfix FAIL with "temp"; Postfix 3.7's Dovecot client reads every FAIL as 535.
    expect NO "$(SOURCE=127.0.0.4 smtp_auth "$user" "dovecot password 1")" "Postfix AUTH while authd is away: refused (535), no login"
fi
if [ -n "${nginx_running:-}" ]; then
    # nginx answers NO with its own "temporary" text when auth_http cannot be reached.
    expect NO "$(SOURCE=127.0.0.4 IMAP_PORT=$nginx_port imap "$user" "dovecot password 1")" "IMAP through nginx while authd is away: refused, no login"
fi
NEXT_HTTP_PORT=$HTTP_PORT NEXT_LINE_PORT=$LINE_PORT start_authd
expect OK "$(SOURCE=127.0.0.4 imap "$user" "dovecot password 1")" "IMAP login once authd is back"

if [ "$failures" -ne 0 ]; then
    [ -n "${POSTFIX_DIR:-}" ] && tail -n 30 "$POSTFIX_DIR/maillog" >&2
    tail -n 40 "$dovecot_dir/dovecot.log" "$dovecot_dir/dovecot.out" >&2
    tail -n 20 "$interop_work/authd.log" >&2
    echo "interop: Dovecot checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: Dovecot checks passed"
