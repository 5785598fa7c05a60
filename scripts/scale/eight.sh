#!/usr/bin/env bash
# Eight authd instances on one PostgreSQL (the ones of scripts/with-postgres.sh, ports 0): a
# logout on one is refused by all eight (p50/p99 over 200 logouts, target p99 < 1 s), one of eight
# simultaneous registrations of a name wins (twenty times), ten wrong passwords sent at once over
# the eight are counted exactly ten times and lock the account everywhere, and a ninth instance
# whose pool PostgreSQL has no room for says so at start (the connection budget).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh
export AUTHD_DATABASE_MAX_CONNECTIONS=10
http_ports=() line_ports=()
for _ in $(seq 1 8); do
    start_authd
    http_ports+=("$HTTP_PORT")
    line_ports+=("$LINE_PORT")
done
suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
started=$(date +%s)
output=$(python3 scripts/scale/eight_check.py "$(IFS=,; echo "${http_ports[*]}")" "$(IFS=,; echo "${line_ports[*]}")" "$suffix") \
    || failures=$((failures + 1))
echo "$output" | grep -v '^locked='
locked=$(echo "$output" | sed -n 's/^locked=//p')
expect 18 "$(psql "$AUTHD_DATABASE_URL" -tA -c "SELECT failures FROM login_failures WHERE username = '$locked'")" \
    "the shared counter holds exactly the ten failures and the eight refused right passwords (no lost update)"

# The connection budget: eight instances of 10 + 1 fit in the cluster's 300 (less 3 reserved); a
# ninth with a pool of 250 makes nine of 251, and says so.
if grep -c '"message":"database connection budget"' "$interop_work/authd.log" | grep -q '^8$'; then
    echo "ok: eight instances report their connection budget at start"
else
    echo "FAIL: connection budget lines" >&2
    failures=$((failures + 1))
fi
AUTHD_DATABASE_MAX_CONNECTIONS=250 start_authd
for _ in $(seq 1 50); do grep -q 'database connection budget exceeded' "$interop_work/authd.log" && break; sleep 0.1; done
if grep -q 'database connection budget exceeded: 9 instance(s) × (database.max_connections 250 + 1' "$interop_work/authd.log"; then
    echo "ok: a ninth instance with a pool of 250 warns that PostgreSQL has no room for it"
else
    echo "FAIL: no connection budget warning" >&2
    failures=$((failures + 1))
fi
echo "eight instances: $(($(date +%s) - started)) s"

if [ "$failures" -ne 0 ]; then
    grep -v '"route"' "$interop_work/authd.log" | tail -n 20 >&2
    echo "scale: eight-instance checks FAILED ($failures)" >&2
    exit 1
fi
echo "scale: eight-instance checks passed"
