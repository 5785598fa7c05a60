#!/usr/bin/env bash
# Squid (Debian's) with authctl's helpers, config/squid/authd.conf as shipped: basic proxy
# authentication through the "squid" stack and bearer tokens with a role, through a real Squid in
# front of authd's own HTTP port (the origin). Then the helpers' bad-input replies and pipelining,
# straight on their standard input, and Squid while authd is away (no OK) and back (no restart).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
command -v squid >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q squid >/dev/null; }

# Squid runs its helpers as its own user: the key and configuration live where that user can read.
squid_dir=$(mktemp -d)
chmod 755 "$squid_dir"
squid_pid=""
cleanup() {
    if [ -n "$squid_pid" ] && kill "$squid_pid" 2>/dev/null; then wait "$squid_pid" 2>/dev/null || true; fi
    rm -rf "$squid_dir"
    stop_authd
}
trap cleanup EXIT
squid_user=$(id -un)
[ "$(id -u)" = 0 ] && squid_user=proxy
keyfile="$squid_dir/squid.key"
head -c 32 /dev/urandom | base64 > "$keyfile"
chown "$squid_user" "$keyfile" && chmod 600 "$keyfile"
mkdir "$squid_dir/logs" && chown "$squid_user" "$squid_dir/logs"
AUTHD_LINE_CLIENTS="squid:$(tr -d '\n' < "$keyfile" | sha256sum | cut -d' ' -f1):squid"
export AUTHD_LINE_CLIENTS
start_authd
ctl="$PWD/${AUTHCTL_BIN:-.build/debug/authctl}"
addr="127.0.0.1:$LINE_PORT"

basic_port=$(free_port)
token_port=$(free_port)
sed -e "s|@AUTHCTL@|$ctl|g" -e "s|@ADDR@|$addr|g" -e "s|@KEYFILE@|$keyfile|g" \
    -e "s|@BASIC_PORT@|127.0.0.1:$basic_port|" -e "s|@TOKEN_PORT@|127.0.0.1:$token_port|" \
    -e 's|credentialsttl 60 seconds|credentialsttl 1 second|' -e 's|ttl=30 |ttl=1 |' \
    config/squid/authd.conf > "$squid_dir/authd.conf"
cat > "$squid_dir/squid.conf" <<CONF
include $squid_dir/authd.conf
cache deny all
pid_filename $squid_dir/logs/squid.pid
cache_log $squid_dir/logs/cache.log
access_log stdio:$squid_dir/logs/access.log
coredump_dir $squid_dir/logs
cache_effective_user $squid_user
shutdown_lifetime 1 second
visible_hostname authd-test
CONF
squid -N -f "$squid_dir/squid.conf" >"$squid_dir/squid.out" 2>&1 &
squid_pid=$!
for _ in $(seq 1 100); do
    (echo > "/dev/tcp/127.0.0.1/$basic_port") 2>/dev/null && (echo > "/dev/tcp/127.0.0.1/$token_port") 2>/dev/null && break
    sleep 0.1
done

user="sq$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "squid password 1"
printf 'squid password 2\n' | .build/debug/authctl user create "$user-admin" --email "$user-admin@example.com" \
    --role admin --config config/authd.yaml >/dev/null
token=$(login "$user" "squid password 1")
admin_token=$(login "$user-admin" "squid password 2")
origin="http://127.0.0.1:$HTTP_PORT"

# status PORT ARGS...: the HTTP status of a request through Squid.
status() {
    local port=$1
    shift
    curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$port" "$@" || true
}
expect 200 "$(status "$basic_port" -U "$user:squid password 1" "$origin/healthz")" "basic: right password"
expect 407 "$(status "$basic_port" -U "$user:wrong" "$origin/healthz")" "basic: wrong password"
expect 407 "$(status "$basic_port" -U "nobody-$user:squid password 1" "$origin/healthz")" "basic: unknown user"
expect 407 "$(status "$basic_port" "$origin/healthz")" "basic: no credentials"
expect 200 "$(status "$token_port" --proxy-header "Proxy-Authorization: Bearer $token" "$origin/healthz")" "token: valid"
expect 403 "$(status "$token_port" --proxy-header "Proxy-Authorization: Bearer ${token}x" "$origin/healthz")" "token: bad signature"
expect 403 "$(status "$token_port" "$origin/healthz")" "token: none"
expect 403 "$(status "$token_port" --proxy-header "Proxy-Authorization: Bearer $token" "$origin/metrics")" "token: role admin required"
expect 200 "$(status "$token_port" --proxy-header "Proxy-Authorization: Bearer $admin_token" "$origin/metrics")" "token: admin"
if grep -q " $user " "$squid_dir/logs/access.log"; then
    echo "ok: Squid's access log names the user"
else
    echo "FAIL: no user in Squid's access log" >&2
    failures=$((failures + 1))
fi
curl -s -o /dev/null -X POST -H "Authorization: Bearer $admin_token" "$origin/logout"
sleep 2.2 # past the acl's ttl=1 (Squid counts whole seconds)
expect 403 "$(status "$token_port" --proxy-header "Proxy-Authorization: Bearer $admin_token" "$origin/metrics")" "token: logged out (revoked)"

# The helpers on their own: bad input gets BH on its channel (and a log line), a wrong password ERR,
# never OK; a pipelined batch is answered line for line.
helper_out=$(mktemp)
{
    printf '0 %s %s\n' "$user" "squid%20password%201"
    printf '1 %s wrong\n' "$user"
    printf '2 %s\n' "$user"
    printf '3 %s pass%%zz\n' "$user"
    printf 'x %s pass\n' "$user"
    printf '4 %s %s\n' "$user" "$(head -c 40000 /dev/zero | tr '\0' a)"
    printf '5 a\001b pass\0word\n'
    printf '6 %%FF%%FE pass\n'
    printf '7 %s %s 10.9.8.7\n' "$user" "squid%20password%201"
} | "$ctl" squid-basic --addr "$addr" --concurrent >"$helper_out" 2>"$squid_dir/helper.err"
expect "0 OK user=\"$user\"" "$(sed -n 1p "$helper_out")" "helper: right password"
expect '1 ERR message="authentication failed"' "$(sed -n 2p "$helper_out")" "helper: wrong password"
expect '2 BH message="expected user and password, got 1 values"' "$(sed -n 3p "$helper_out")" "helper: missing password"
expect '3 BH message="malformed URL escape"' "$(sed -n 4p "$helper_out")" "helper: bad escape"
expect 'BH message="no channel ID (is concurrency= set in squid.conf?)"' "$(sed -n 5p "$helper_out")" "helper: no channel"
expect '4 BH message="line too long"' "$(sed -n 6p "$helper_out")" "helper: over-long line"
expect '5 BH message="control characters in the request"' "$(sed -n 7p "$helper_out")" "helper: NUL"
expect '6 ERR message="authentication failed"' "$(sed -n 8p "$helper_out")" "helper: non-UTF-8 user"
expect '7 BH message="expected user and password, got 3 values"' "$(sed -n 9p "$helper_out")" "helper: client address without a client key"
expect 9 "$(wc -l <"$helper_out")" "helper: one reply per request"
expect 6 "$(wc -l <"$squid_dir/helper.err")" "helper: a log line per bad request"
if grep -q ' OK' <(sed 1d "$helper_out"); then echo "FAIL: an OK for bad input" >&2; failures=$((failures + 1)); fi

# Throughput of the basic helper alone: 200 right passwords from 200 client addresses (one
# address would meet authd's per-address limit), pipelined as Squid sends them.
start=$(date +%s.%N)
for i in $(seq 0 199); do printf '%d %s %s 10.0.%d.%d\n' "$((i % 32))" "$user" "squid%20password%201" "$((i / 250))" "$((i % 250 + 1))"; done \
    | "$ctl" squid-basic --addr "$addr" --concurrent --client squid --key-file "$keyfile" >"$helper_out"
elapsed=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {printf "%.2f", a - b}')
expect 200 "$(grep -c ' OK ' "$helper_out")" "helper: 200 pipelined checks all OK"
# The same 200 AUTHs straight on the line protocol (pipelined, one connection): the helper's ceiling.
direct=$(python3 - "$LINE_PORT" "$keyfile" "$user" <<'PY'
import base64, socket, sys, time
port, keyfile, user = sys.argv[1:]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
f = s.makefile("rb")
f.readline(); f.readline()
key = open(keyfile).read().strip()
s.sendall(f"CLIENT\tc\tname=squid\tkey={key}\n".encode())
assert f.readline().startswith(b"OK")
resp = base64.b64encode(b"squid password 1").decode()
start = time.monotonic()
s.sendall("".join(f"AUTH\t{i}\tservice=squid\tuser={user}\trip=10.1.{i // 250}.{i % 250 + 1}\tresp={resp}\n" for i in range(200)).encode())
oks = sum(f.readline().startswith(b"OK") for _ in range(200))
print(f"{time.monotonic() - start:.3f} {oks}")
PY
)
echo "figure: squid-basic, 200 checks in ${elapsed}s; the same 200 AUTHs on the line protocol in ${direct% *}s (${direct#* } OK) (scrypt ln=${AUTHD_PASSWORD_SCRYPT_LN:-12})"

# authd away: Squid gets BH (no OK, no hang); authd back on the same ports: OK again, same helpers.
kill "${authd_pids[0]}"
wait "${authd_pids[0]}" 2>/dev/null || true
authd_pids=()
sleep 1.2
expect 407 "$(status "$basic_port" -m 10 -U "$user:squid password 1" "$origin/healthz")" "basic: authd away, no OK"
expect 403 "$(status "$token_port" -m 10 --proxy-header "Proxy-Authorization: Bearer $token" "$origin/healthz")" "token: authd away, no OK"
NEXT_HTTP_PORT=$HTTP_PORT NEXT_LINE_PORT=$LINE_PORT start_authd
sleep 1.2
expect 200 "$(status "$basic_port" -U "$user:squid password 1" "$origin/healthz")" "basic: authd back, the helper reconnected"
expect 200 "$(status "$token_port" --proxy-header "Proxy-Authorization: Bearer $token" "$origin/healthz")" "token: authd back"

if [ "$failures" -ne 0 ]; then
    tail -50 "$squid_dir/logs/cache.log" >&2
    cat "$interop_work/authd.log" >&2
    echo "interop: Squid checks FAILED ($failures)" >&2
    exit 1
fi
echo "interop: Squid checks passed"
