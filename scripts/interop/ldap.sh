#!/usr/bin/env bash
# authd's LDAP front end (ldap.addr) with real clients: OpenLDAP's ldapsearch and ldapwhoami
# (Debian ldap-utils), python-ldap and ldap3 (Debian's python3-ldap and python3-ldap3), Apache's
# mod_authnz_ldap with Require ldap-group. Binds by
# DN and as NAME@DOMAIN, a wrong password, an empty password (never an anonymous success), an
# anonymous search (refused), the root DSE, WhoAmI, a user's search that would match everyone
# (their own entry only), a service account with users:read (everyone, paged), a password with
# the one-time code appended, StartTLS and LDAPS with a certificate made here, and hostile BER over
# a raw socket (a length bomb, deep nesting).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
scripts/install-deps.sh oathtool openssl
ldap_port=$(free_port) ldaps_port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$interop_work/ldap.key" -out "$interop_work/ldap.crt" 2>/dev/null
export AUTHD_LDAP_TLS_CERT_FILE="$interop_work/ldap.crt" AUTHD_LDAP_TLS_KEY_FILE="$interop_work/ldap.key"
export AUTHD_LDAP_LDAPS_ADDR="127.0.0.1:$ldaps_port" LDAPTLS_CACERT="$interop_work/ldap.crt" LDAPTLS_REQCERT=demand
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$interop_work/mfa-key"
export AUTHD_MFA_KEY_FILE="$interop_work/mfa-key"
base="dc=authd,dc=test"
export AUTHD_LDAP_ADDR="127.0.0.1:$ldap_port" AUTHD_LDAP_BASE_DN="$base" AUTHD_LDAP_MAX_CONNECTIONS=16
start_authd
wait_for_log '"message":"LDAP listening"' 10 || { echo "FAIL: LDAP did not start" >&2; exit 1; }
url="ldap://127.0.0.1:$ldap_port"

suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
user="ann$suffix" other="bob$suffix" app="app$suffix"
register "$user" "ldap password 1"
register "$other" "ldap password 2"
.build/debug/authctl role create "reader$suffix" --permission users:read --config config/authd.yaml >/dev/null
printf 'ldap service pw 1\n' | .build/debug/authctl user create "$app" --email "$app@example.com" \
    --role "reader$suffix" --config config/authd.yaml >/dev/null
dn() { echo "uid=$1,ou=people,$base"; }
status() { "$@" >/dev/null 2>&1 && echo 0 || echo $?; }

expect "dn:$(dn "$user")" "$(ldapwhoami -x -H "$url" -D "$(dn "$user")" -w "ldap password 1" 2>&1)" \
    "ldapwhoami: a bind by DN names the user"
expect "dn:$(dn "$user")" "$(ldapwhoami -x -H "$url" -D "$user@authd.test" -w "ldap password 1" 2>&1)" \
    "ldapwhoami: a bind as NAME@DOMAIN names the same user"
expect 49 "$(status ldapwhoami -x -H "$url" -D "$(dn "$user")" -w "wrong password")" \
    "ldapwhoami: a wrong password is invalidCredentials (49)"
expect 49 "$(status ldapwhoami -x -H "$url" -D "$(dn "nobody$suffix")" -w "ldap password 1")" \
    "ldapwhoami: an unknown user is the same invalidCredentials"
expect 53 "$(status ldapwhoami -x -H "$url" -D "$(dn "$user")" -w "")" \
    "ldapwhoami: an empty password is unwillingToPerform (53), never an anonymous success"
expect "anonymous" "$(ldapwhoami -x -H "$url" 2>&1)" "ldapwhoami: an anonymous bind is anonymous"
expect "dn:$(dn "$user")" "$(ldapwhoami -ZZ -x -H "$url" -D "$(dn "$user")" -w "ldap password 1" 2>&1)" \
    "ldapwhoami -ZZ: StartTLS with the certificate verified, then the bind"
expect "dn:$(dn "$user")" \
    "$(ldapwhoami -x -H "ldaps://127.0.0.1:$ldaps_port" -D "$(dn "$user")" -w "ldap password 1" 2>&1)" \
    "ldapwhoami: LDAPS with the certificate verified, then the bind"
expect 1 "$(LDAPTLS_CACERT=/dev/null status ldapwhoami -ZZ -x -H "$url" -D "$(dn "$user")" -w "ldap password 1")" \
    "ldapwhoami -ZZ: a client that does not trust the certificate stops at StartTLS (exit 1)"
expect 50 "$(status ldapsearch -x -H "$url" -b "$base" "(objectClass=*)")" \
    "ldapsearch: an anonymous search of the tree is insufficientAccessRights (50)"
expect "namingContexts: $base" "$(ldapsearch -x -LLL -H "$url" -b "" -s base namingContexts | grep namingContexts)" \
    "ldapsearch: the root DSE names the base, anonymously"

own=$(ldapsearch -x -LLL -H "$url" -D "$(dn "$user")" -w "ldap password 1" -b "ou=people,$base" "(objectClass=*)" dn \
    | grep '^dn:' | sort | tr '\n' ' ')
expect "dn: ou=people,$base dn: $(dn "$user") " "$own" \
    "ldapsearch: a user's search that would match everyone returns their own entry only"
all=$(ldapsearch -x -LLL -H "$url" -D "$(dn "$app")" -w "ldap service pw 1" -E pr=1/noprompt \
    -b "ou=people,$base" "(|(uid=$user)(uid=$other)(uid=$app))" uid | grep -c '^uid:')
expect 3 "$all" "ldapsearch: the service account pages (one entry a page) through everyone it asked for"
entry=$(ldapsearch -x -LLL -H "$url" -D "$(dn "$app")" -w "ldap service pw 1" -b "$base" "(uid=$user)" \
    uid mail memberOf uidNumber objectClass)
for want in "mail: $user@example.com" "memberOf: cn=user,ou=groups,$base" "objectClass: posixAccount"; do
    if grep -qxF "$want" <<< "$entry"; then echo "ok: the entry holds $want"; else
        echo "FAIL: no '$want' in: $entry" >&2
        failures=$((failures + 1))
    fi
done
expect 1 "$(ldapsearch -x -LLL -H "$url" -D "$(dn "$app")" -w "ldap service pw 1" -b "ou=groups,$base" \
    "(&(objectClass=groupOfNames)(cn=reader$suffix))" member | grep -c "^member: $(dn "$app")")" \
    "ldapsearch: the role is a group whose member is the service account"
expect 53 "$(status ldapdelete -x -H "$url" -D "$(dn "$app")" -w "ldap service pw 1" "$(dn "$user")")" \
    "ldapdelete: the directory is read-only (53)"

# An account with TOTP binds with its password followed by the current code.
totp_secret=$(totp_account "totp$suffix" "ldap password 3")
expect 49 "$(status ldapwhoami -x -H "$url" -D "$(dn "totp$suffix")" -w "ldap password 3")" \
    "ldapwhoami: an account with TOTP is refused with the password alone"
next_code=$(next_totp "$totp_secret")
expect "dn:$(dn "totp$suffix")" "$(ldapwhoami -x -H "$url" -D "$(dn "totp$suffix")" -w "ldap password 3$next_code" 2>&1)" \
    "ldapwhoami: the password with the code appended binds"

# Apache's mod_authnz_ldap protecting a page with Require ldap-group: it finds the user with the
# service account, binds as the user, and compares the group's member attribute.
web=$(mktemp -d)
server_dirs+=("$web")
chmod 755 "$web"
mkdir -p "$web/www"
echo "members only" > "$web/www/index.html"
web_port=$(free_port)
printf 'ldap boss pw 1\n' | .build/debug/authctl user create "boss$suffix" --email "boss$suffix@example.com" \
    --role admin --role user --config config/authd.yaml >/dev/null
modules=/usr/lib/apache2/modules
cat > "$web/httpd.conf" <<CONF
ServerRoot "$web"
DefaultRuntimeDir "$web"
PidFile "$web/httpd.pid"
ServerName 127.0.0.1
Listen 127.0.0.1:$web_port
User www-data
Group www-data
ErrorLog "$web/error.log"
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authz_user_module $modules/mod_authz_user.so
LoadModule authn_core_module $modules/mod_authn_core.so
LoadModule auth_basic_module $modules/mod_auth_basic.so
LoadModule ldap_module $modules/mod_ldap.so
LoadModule authnz_ldap_module $modules/mod_authnz_ldap.so
DocumentRoot "$web/www"
LDAPCacheTTL 0
LDAPOpCacheTTL 0
<Location "/">
    AuthType Basic
    AuthName "authd"
    AuthBasicProvider ldap
    AuthLDAPURL "ldap://127.0.0.1:$ldap_port/ou=people,$base?uid?one?(objectClass=posixAccount)"
    AuthLDAPBindDN "uid=$app,ou=people,$base"
    AuthLDAPBindPassword "ldap service pw 1"
    AuthLDAPGroupAttribute member
    AuthLDAPGroupAttributeIsDN on
    Require ldap-group cn=admin,ou=groups,$base
</Location>
CONF
/usr/sbin/apache2 -f "$web/httpd.conf" -DFOREGROUND >>"$web/apache.out" 2>&1 &
server_pids+=($!)
for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$web_port") 2>/dev/null && break; sleep 0.1; done
page() { curl -s -o /dev/null -w "%{http_code}" -u "$1:$2" "http://127.0.0.1:$web_port/index.html"; }
expect 200 "$(page "boss$suffix" "ldap boss pw 1")" "mod_authnz_ldap: a member of cn=admin gets the page"
expect 401 "$(page "$user" "ldap password 1")" "mod_authnz_ldap: a user outside the group does not"
expect 401 "$(page "boss$suffix" "wrong password")" "mod_authnz_ldap: a wrong password does not"
expect 401 "$(page "nobody$suffix" "ldap boss pw 1")" "mod_authnz_ldap: an unknown user does not"
[ "$failures" = 0 ] || cat "$web/error.log" "$web/apache.out" >&2

# nslcd (Debian's nslcd and libnss-ldapd, unpacked here, not installed) resolving users and
# groups through authd for getent, in a mount namespace with its own /etc/nsswitch.conf, so the
# host's NSS is never touched.
nss=$(mktemp -d)
server_dirs+=("$nss")
if ! (cd "$nss" && apt-get download -q nslcd libnss-ldapd >/dev/null 2>&1); then
    echo "skipped: nslcd: Debian's nslcd and libnss-ldapd packages could not be downloaded"
elif ! unshare -m true 2>/dev/null; then
    echo "skipped: nslcd: no mount namespace here (unshare -m needs root)"
else
    for deb in "$nss"/*.deb; do dpkg-deb -x "$deb" "$nss/root"; done
    cp -a /etc "$nss/etc"
    sed -i 's/^passwd:.*/passwd: files ldap/; s/^group:.*/group: files ldap/' "$nss/etc/nsswitch.conf"
    cat > "$nss/etc/nslcd.conf" <<CONF
uid nobody
gid nogroup
uri ldap://127.0.0.1:$ldap_port/
base $base
binddn uid=$app,ou=people,$base
bindpw ldap service pw 1
CONF
    chmod 600 "$nss/etc/nslcd.conf"
    # shellcheck disable=SC2016 # expanded by the inner shell
    resolved=$(NSS="$nss" unshare -m bash -c '
        mount --bind "$NSS/etc" /etc && mount -t tmpfs tmpfs /run && mkdir -p /run/nslcd && chown nobody /run/nslcd
        "$NSS/root/usr/sbin/nslcd" -d >"$NSS/nslcd.log" 2>&1 &
        for _ in $(seq 1 100); do [ -S /run/nslcd/socket ] && break; sleep 0.1; done
        export LD_LIBRARY_PATH="$NSS/root/lib/x86_64-linux-gnu"
        getent passwd "$1"; getent group admin; getent passwd "nobody-$1" || echo "no such user"
        kill %1' nss "$user" 2>&1 || true)
    ann_line=$(grep "^$user:" <<< "$resolved" || true)
    if [[ "$ann_line" =~ ^$user:[^:]*:1[0-9]{4,}:1[0-9]{4,}:[^:]*:/home/$user:/bin/bash$ ]]; then
        echo "ok: nslcd: getent passwd resolves the user through authd ($ann_line)"
    else
        echo "FAIL: nslcd: getent passwd gave: $resolved" >&2
        cat "$nss/nslcd.log" >&2
        failures=$((failures + 1))
    fi
    if grep -q "^admin:[^:]*:[0-9]*:.*boss$suffix" <<< "$resolved"; then
        echo "ok: nslcd: getent group lists the admin role's members"
    else
        echo "FAIL: nslcd: getent group admin gave: $resolved" >&2
        failures=$((failures + 1))
    fi
    expect 1 "$(grep -c '^no such user$' <<< "$resolved")" "nslcd: an unknown user is not found"
fi

# python-ldap (libldap underneath) and ldap3 (pure Python), then raw BER.
/usr/bin/python3 - "$ldap_port" "$base" "$user" "$app" <<'PY' || failures=$((failures + 1))
import socket, sys, time
import ldap, ldap3
from ldap.controls import SimplePagedResultsControl
port, base, user, app = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
url, people = f"ldap://127.0.0.1:{port}", f"ou=people,{base}"
failures = 0

def check(condition, what):
    global failures
    print(("ok: " if condition else "FAIL: ") + what, file=sys.stdout if condition else sys.stderr, flush=True)
    failures += not condition

connection = ldap.initialize(url)
connection.simple_bind_s(f"uid={app},{people}", "ldap service pw 1")
found = connection.search_s(base, ldap.SCOPE_SUBTREE, f"(uid={user})", ["uid", "uidNumber", "entryUUID"])
check(len(found) == 1 and found[0][1]["uid"] == [user.encode()], "python-ldap: a search by uid finds the user")
check(int(found[0][1]["uidNumber"][0]) >= 10000 and len(found[0][1]["entryUUID"][0]) == 36,
      "python-ldap: uidNumber and entryUUID derived")
control = SimplePagedResultsControl(True, size=2, cookie="")
seen, pages = [], 0
while True:
    message = connection.search_ext(people, ldap.SCOPE_ONELEVEL, "(objectClass=posixAccount)", ["uid"],
                                    serverctrls=[control])
    _, data, _, controls = connection.result3(message)
    seen += [dn for dn, _ in data]
    pages += 1
    cookie = next(c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType)
    if not cookie:
        break
    control.cookie = cookie
check(len(seen) == len(set(seen)) >= 3 and pages >= 2, f"python-ldap: {len(seen)} entries in {pages} pages of 2")
try:
    ldap.initialize(url).simple_bind_s(f"uid={user},{people}", "wrong")
    check(False, "python-ldap: a wrong password raises INVALID_CREDENTIALS")
except ldap.INVALID_CREDENTIALS:
    check(True, "python-ldap: a wrong password raises INVALID_CREDENTIALS")
try:
    ldap.initialize(url).simple_bind_s(f"uid={user},{people}", "")
    check(False, "python-ldap: an empty password raises UNWILLING_TO_PERFORM")
except ldap.UNWILLING_TO_PERFORM:
    check(True, "python-ldap: an empty password raises UNWILLING_TO_PERFORM")

server = ldap3.Server("127.0.0.1", port=port, get_info=ldap3.ALL)
c = ldap3.Connection(server, f"{user}@authd.test", "ldap password 1", auto_bind=True)
check(c.extend.standard.who_am_i() == f"dn:uid={user},{people}", "ldap3: WhoAmI after a NAME@DOMAIN bind")
check(base in server.info.naming_contexts, "ldap3: the root DSE read at bind lists the base")
c.search(base, "(objectClass=*)", attributes=["uid"])
check([e.entry_dn for e in c.entries if e.entry_attributes_as_dict.get("uid")] == [f"uid={user},{people}"],
      "ldap3: an ordinary user's wildcard search returns only their entry")
s = ldap3.Connection(server, f"uid={app},{people}", "ldap service pw 1", auto_bind=True)
entries = list(s.extend.standard.paged_search(people, "(uid=*)", attributes=["uid"], paged_size=1))
check(len(entries) >= 3, f"ldap3: paged_search (one a page) returns {len(entries)} entries")
s.search(f"cn=user,ou=groups,{base}", "(objectClass=posixGroup)", search_scope=ldap3.BASE, attributes=["memberUid"])
check(user in s.entries[0].memberUid.values, "ldap3: the user group lists the user in memberUid")

def raw(payload):
    """What the server sends back before closing, for hostile bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data

bomb = raw(bytes([0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x01]))
check(b"1.3.6.1.4.1.1466.20036" in bomb, "raw: a 2 GiB length bomb gets a notice of disconnection and the close")
nested = bytes([0x30, 0x80]) + b"\x30\x80" * 10
payload = b"\x05\x00"
for _ in range(100):
    n = len(payload)
    payload = (bytes([0x30, n]) if n < 128 else bytes([0x30, 0x82, n >> 8, n & 0xFF])) + payload
check(b"1.3.6.1.4.1.1466.20036" in raw(payload), "raw: 100 levels of nesting get a notice of disconnection")
check(b"1.3.6.1.4.1.1466.20036" in raw(nested), "raw: an indefinite length gets a notice of disconnection")
# A flood of connections past ldap.max_connections (16 here): connections are opened one after
# another, each answering an anonymous bind, until the server refuses one with a notice of
# disconnection and the close; that one is the 17th open (other clients of this script, such as
# Apache's and nslcd's pools, hold some). The held ones still work, and a new one binds once they go.
connection.unbind_s()
c.unbind()
s.unbind()
anonymous_bind = bytes.fromhex("300c020101600702010304008000")
held, notice = [], b""
while len(held) <= 16 and not notice:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(anonymous_bind)
    try:
        answer = sock.recv(4096)
    except ConnectionResetError:
        answer = b""
    if answer[5:7] == bytes([0x61, 0x07]):
        held.append(sock)
    else:
        notice = answer or b"(nothing)"
        sock.close()
check(b"1.3.6.1.4.1.1466.20036" in notice and 1 <= len(held) <= 16,
      f"flood: after {len(held)} held, a connection past ldap.max_connections gets a notice and the close")
check(b"1.3.6.1.4.1.1466.20036" in raw(b""), "flood: so does the next one")
held[0].sendall(anonymous_bind)
check(held[0].recv(4096)[5:7] == bytes([0x61, 0x07]), "flood: a held connection still answers")
for sock in held:
    sock.close()
time.sleep(0.5)
again = ldap.initialize(url)
again.simple_bind_s(f"uid={user},{people}", "ldap password 1")
check(again.whoami_s() == f"dn:uid={user},{people}", "flood: once they closed, a new connection binds")
sys.exit(1 if failures else 0)
PY

if grep -q 'ldap password\|ldap service pw' "$interop_work/authd.log"; then
    echo "FAIL: a password reached the log" >&2
    failures=$((failures + 1))
else
    echo "ok: no password in the log"
fi
exit $((failures > 0))
