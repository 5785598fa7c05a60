#!/usr/bin/env bash
# Network faults between authd and PostgreSQL (README, "Deployment at scale"). Everything runs in
# a private network namespace (nothing touches the host's network); the two daemons live in a
# second one with their clients, joined to the first (PostgreSQL) by a veth link, through
# faultproxy.py. Daemon 0 keeps revocation.max_staleness_seconds at its default (30 s), daemon 1
# has 6 s; both have a 2 s pool timeout. Phases, each under a mixed load on both daemons:
#   latency   200 ms added to every chunk sent to PostgreSQL: everything succeeds, only slower;
#   loss      5 % of chunks held as a lost segment would be (200 ms, doubling): everything succeeds;
#   partition the database link down for 10 s: verification answers from memory (daemon 1 until
#             its 6 s of staleness, counted from its last answered probe); requests arriving meanwhile
#             that need the database get 503 within 4.5 s (most within the 2 s pool timeout; a
#             registration has two database steps, and one was seen at 4.0 s); those in
#             flight at the cut end within 12 s (each database step still ahead of them has its own
#             pool timeout: a login has several); all recovers once the link is back, no restart;
#   half-open the link down and every proxied connection closed behind it (the server gone, its
#             FINs lost) for 12 s: keepalives, tcp_user_timeout and authd's own check of
#             unacknowledged statements find the dead connections (the first found drops the idle
#             ones with it), the same checks, and after the link is back no request fails on a
#             connection that died.
# Then every registration answered 201 is in PostgreSQL, whole. About 90 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "netfaults: network namespaces need root" >&2; exit 1; }
if [ -z "${AUTHD_NETFAULTS_NAMESPACE:-}" ]; then
    AUTHD_NETFAULTS_NAMESPACE=1 exec unshare --net "$0" "$@"
fi
# A cluster of its own, inside the namespace (make test's is outside it, out of reach).
if [ -z "${AUTHD_NETFAULTS_CLUSTER:-}" ]; then
    ip link set lo up
    AUTHD_NETFAULTS_CLUSTER=1 exec scripts/with-postgres.sh "$0" "$@"
fi
check=scripts/scale/netfaults_check.py
work=$(mktemp -d)
app=authd-app-$$
pids=()
cleanup() {
    # Everything started in the daemons' namespace, then what was started here.
    for pid in $(ip netns pids "$app" 2>/dev/null) "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    ip netns del "$app" 2>/dev/null || true
    [ -n "${NETFAULTS_KEEP:-}" ] && cp -r "$work" /tmp/netfaults-kept; rm -rf "$work"
}
trap cleanup EXIT

# The daemons' and their clients' namespace: 10.77.0.2 on the link to the database (nfdb0, the
# one cut); daemons and clients talk on its own loopback.
ip netns add "$app"
ip -n "$app" link set lo up
ip link add nfdb0 type veth peer name nfdb1 netns "$app"
ip addr add 10.77.0.1/24 dev nfdb0
ip -n "$app" addr add 10.77.0.2/24 dev nfdb1
ip link set nfdb0 up
ip -n "$app" link set nfdb1 up

control=$work/proxy.sock
python3 scripts/scale/faultproxy.py 10.77.0.1:6543 "127.0.0.1:$AUTHD_PG_PORT" "$control" >"$work/proxy.log" 2>&1 &
pids+=($!)
proxy() { python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((" ".join(sys.argv[2:]) + "\n").encode())
print(s.makefile().readline().strip())' "$control" "$@"; }
for _ in $(seq 1 50); do [ -S "$control" ] && break; sleep 0.1; done

database_url=$(echo "$AUTHD_DATABASE_URL" | sed -e 's/host=[^ ]*/host=10.77.0.1/' -e 's/port=[^ ]*/port=6543/')
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$work/secret"
daemons=()
in_app() { ip netns exec "$app" "$@"; }
start_daemon() { # start_daemon HTTP_PORT LINE_PORT STALENESS
    ip netns exec "$app" env AUTHD_DATABASE_URL="$database_url" AUTHD_JWT_SECRET_FILE="$work/secret" \
        AUTHD_HTTP_ADDR="127.0.0.1:$1" AUTHD_LINE_ADDR="127.0.0.1:$2" AUTHD_PASSWORD_SCRYPT_LN=12 \
        AUTHD_LIMITS_REGISTER_BURST=0 AUTHD_LIMITS_ACCOUNT_FAILURES_BURST=0 AUTHD_LIMITS_ATTEMPTS_BURST=0 AUTHD_DATABASE_POOL_TIMEOUT_SECONDS=2 \
        AUTHD_REVOCATION_MAX_STALENESS_SECONDS="$3" \
        "${AUTHD_BIN:-.build/debug/authd}" --config config/authd.yaml >>"$work/authd-$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 150); do
        [ "$(in_app curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ] && break
        sleep 0.1
    done
    daemons+=("http://127.0.0.1:$1,127.0.0.1:$2")
}
start_daemon 5000 5001 30
start_daemon 5100 5101 6
export NETFAULTS_STATE=$work/state.json
in_app python3 "$check" setup "${daemons[0]}" "$NETFAULTS_STATE"

epoch() { date +%s.%N; }
# phase NAME SECONDS: the mixed load for SECONDS into $work/NAME.json, in the background.
phase() { in_app python3 "$check" load "$2" "$NETFAULTS_STATE" "$work/$1.json" "${daemons[@]}" & load=$!; }

phase baseline 4
wait "$load"
python3 "$check" report "$work/baseline.json" baseline all-ok

proxy delay 200 >/dev/null
phase latency 8
wait "$load"
proxy delay 0 >/dev/null
python3 "$check" report "$work/latency.json" latency all-ok

proxy loss 0.05 >/dev/null
phase loss 8
wait "$load"
proxy loss 0 >/dev/null
python3 "$check" report "$work/loss.json" loss all-ok

# cut SECONDS [reset]: the database link down for SECONDS (and every proxied connection closed
# behind it); sets NETFAULTS_CUT and NETFAULTS_RESTORED.
cut() {
    sleep 2
    export NETFAULTS_CUT NETFAULTS_RESTORED
    NETFAULTS_CUT=$(epoch)
    ip link set nfdb0 down
    [ "${2:-}" = reset ] && proxy reset >/dev/null
    sleep "$1"
    ip link set nfdb0 up
    NETFAULTS_RESTORED=$(epoch)
}
for kind in partition half-open; do
    if [ "$kind" = partition ]; then seconds=10; else seconds=12; fi
    phase "$kind" $((seconds + 12))
    reset=""
    if [ "$kind" = half-open ]; then reset=reset; fi
    cut "$seconds" "$reset"
    in_app python3 "$check" recovered "${daemons[0]}" 15 "$NETFAULTS_RESTORED"
    in_app python3 "$check" recovered "${daemons[1]}" 15 "$NETFAULTS_RESTORED"
    wait "$load"
    python3 "$check" report "$work/$kind.json" "$kind" bound=4.5 hang=12 memory-ok=0 stale=1:3:8.5
done

for name in baseline latency loss partition half-open; do
    AUTHD_URL=unused python3 scripts/interop/faults_check.py verify "$work/$name.json"
done
for log in "$work"/authd-*.log; do
    echo "$(basename "$log"): $(grep -c 'revocation listener disconnected' "$log") listener disconnections," \
        "$(grep -c 'replacing a database connection closed while idle' "$log") idle connections replaced," \
        "$(grep -c 'discarding a broken database connection' "$log") broken ones discarded"
done
echo "netfaults: all checks passed"
