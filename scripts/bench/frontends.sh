#!/usr/bin/env bash
# Password checks per second through the line protocol's AUTH, an LDAP simple bind and a RADIUS
# Access-Request, back to back against one release authd at the default scrypt cost, with LDAP's
# and RADIUS's rates over AUTH's; then LDAP searches by uid (scripts/bench/frontends.py). About a
# minute once built; scripts/bench/run.sh runs it too. Prints one JSON line; per core is the rate
# divided by the cores (every check is one scrypt on the hashing pool, one thread per core).
# Usage: scripts/bench/frontends.sh   [BENCH_SECONDS=8 per measurement]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
scripts/install-deps.sh
swift build -c release --product authd >/dev/null
swift build -c release --product authctl >/dev/null
bin=$(swift build -c release --show-bin-path)
source scripts/interop/lib.sh
export AUTHD_LIMITS_ATTEMPTS_BURST=0 AUTHD_LIMITS_REGISTER_BURST=0 AUTHD_LIMITS_ACCOUNT_FAILURES_BURST=0
ldap_port=$(free_port) radius_port=$(free_port)
secret="bench-radius-shared-secret-0123456789"
base="dc=authd,dc=bench"
export AUTHD_LDAP_ADDR="127.0.0.1:$ldap_port" AUTHD_LDAP_BASE_DN="$base"
export AUTHD_RADIUS_ADDR="127.0.0.1:$radius_port" AUTHD_RADIUS_CLIENTS="127.0.0.0/8=$secret"
AUTHD_PASSWORD_SCRYPT_LN=15 AUTHD_BIN="$bin/authd" start_authd
wait_for_log '"message":"RADIUS listening"' 10
wait_for_log '"message":"LDAP listening"' 10
suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
register "fe$suffix" "bench password 1"
"$bin/authctl" role create "fe-reader$suffix" --permission users:read --config config/authd.yaml >/dev/null
printf 'bench service pw 1\n' | "$bin/authctl" user create "fe-app$suffix" --email "fe-app$suffix@example.com" \
    --role "fe-reader$suffix" --config config/authd.yaml >/dev/null
/usr/bin/python3 scripts/bench/frontends.py "$LINE_PORT" "$ldap_port" "$radius_port" "$secret" "fe$suffix" \
    "bench password 1" "uid=fe-app$suffix,ou=people,$base" "bench service pw 1" "$base" "${BENCH_SECONDS:-8}" \
    "$(($(nproc) * 4))"
