#!/usr/bin/env bash
# One release authd of its own on the current database (scripts/bench/run.sh runs it after the
# table holds 1,000,000 users), for what the other measures do not cover:
#   - time from start to ready (GET /readyz answers 200) with the table as it is;
#   - POST /oauth2/token with client credentials and POST /oauth2/introspect with wrk: rate, and
#     per core (requests over authd's CPU seconds) beside Keycloak's published sizing figure of
#     120 client-credentials grants per vCPU and Ory Hydra's published 8,014 introspections/s;
#   - scripts/bench/flows.py: portal sign-ins opening SESSIONS SSO sessions (authd's RSS around
#     them, PostgreSQL's bytes per session), the OpenID Connect code flow end to end with those
#     sessions, and IDLE idle connections to the line protocol and to HTTP.
# The portal's password check here is scrypt at ln=10, not the default ln=15: 10,000 sign-ins at
# the default cost would take half an hour on two cores, and the hash is measured on its own in
# run.sh (the hashing ceiling). Prints one JSON line.
# Usage: scripts/bench/flows.sh   [BENCH_SECONDS=8] [SESSIONS=10000] [IDLE=10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
seconds=${BENCH_SECONDS:-8} sessions=${SESSIONS:-10000} idle=${IDLE:-10000}
out=.build/bench
mkdir -p "$out"
scripts/install-deps.sh wrk
swift build -c release --product authd >/dev/null
swift build -c release --product authctl >/dev/null
bin=$(swift build -c release --show-bin-path)
source scripts/interop/lib.sh
source scripts/bench/lib.sh
psql=("$AUTHD_PG_BINDIR/psql" -q -v ON_ERROR_STOP=1 -Atc)
authctl() { "$bin/authctl" "$@" --config config/authd.yaml; }
authctl migrate >/dev/null
"$bin/authctl" key generate --alg RS256 --out "$interop_work/id-token.pem" >/dev/null

# Room for the idle connections (one kind at a time), in authd and in the client: as many as the
# hard limit allows.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$idle" -gt $(($(ulimit -n) - 1024)) ]; then
    idle=$(($(ulimit -n) - 1024))
    echo "flows: $idle idle connections, as many as the open-files limit allows" >&2
fi
NEXT_HTTP_PORT=$(free_port)
export AUTHD_OIDC_ID_TOKEN_KEY_FILE="$interop_work/id-token.pem" AUTHD_OAUTH_SCOPES="openid,profile,email" \
    AUTHD_OAUTH_ISSUER="http://127.0.0.1:$NEXT_HTTP_PORT" AUTHD_LIMITS_ATTEMPTS_BURST=0 \
    AUTHD_LINE_MAX_CONNECTIONS=$((idle + 1024)) AUTHD_HTTP_MAX_CONNECTIONS=$((idle + 1024)) AUTHD_LOG_LEVEL=warning
users=$("${psql[@]}" "SELECT count(*) FROM users" "$AUTHD_DATABASE_URL")
started=$(date +%s%N)
AUTHD_PASSWORD_SCRYPT_LN=10 AUTHD_BIN="$bin/authd" start_authd
pid=${authd_pids[-1]}
until curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/readyz"; do sleep 0.02; done
ready_ms=$((($(date +%s%N) - started) / 1000000))

suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
user="flow$suffix"
register "$user" "bench password 1"
redirect="http://127.0.0.1:9/callback"
rp_secret=$(authctl client create "rp$suffix" --grant authorization_code --scope openid \
    --redirect-uri "$redirect" --skip-consent | sed -n 's/^client_secret=//p')
cc_secret=$(authctl client create "cc$suffix" | sed -n 's/^client_secret=//p')
rs_secret=$(authctl client create "rs$suffix" --introspection | sed -n 's/^client_secret=//p')

# wrk_cpu ARGS...: "REQ_PER_S AUTHD_CPU_US_PER_REQUEST" for wrk ARGS (2 threads, 16 connections).
wrk_cpu() {
    local before rate requests
    before=$(cpu_ns "$pid")
    read -r rate requests < <(wrk -t 2 -c 16 -d "${seconds}s" "$@" | awk '
        /^Requests\/sec/ {rps = $2} / requests in / {n = $1} /Non-2xx/ {print "bench: non-2xx answers" > "/dev/stderr"}
        END {print rps, n}')
    echo "$rate $(cpu_us "$pid" "$before" "$requests")"
}
CLIENT_BASIC=$(printf 'cc%s:%s' "$suffix" "$cc_secret" | base64 -w0)
export CLIENT_BASIC
read -r cc_rps cc_cpu <<<"$(wrk_cpu -s scripts/bench/token-endpoint.lua "http://127.0.0.1:$HTTP_PORT/oauth2/token")"
TOKEN=$(curl -fsS -u "cc$suffix:$cc_secret" -d grant_type=client_credentials \
    "http://127.0.0.1:$HTTP_PORT/oauth2/token" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
CLIENT_BASIC=$(printf 'rs%s:%s' "$suffix" "$rs_secret" | base64 -w0)
export TOKEN CLIENT_BASIC
read -r in_rps in_cpu <<<"$(wrk_cpu -s scripts/bench/introspect.lua "http://127.0.0.1:$HTTP_PORT/oauth2/introspect")"

size() { "${psql[@]}" "SELECT pg_total_relation_size('sso_sessions') + pg_total_relation_size('sessions')" \
    "$AUTHD_DATABASE_URL"; }
size_before=$(size)
flows=$(/usr/bin/python3 scripts/bench/flows.py "$HTTP_PORT" "$LINE_PORT" "$pid" \
    "$(head -n 1 "$AUTHD_PG_DATA/postmaster.pid")" "rp$suffix" "$rp_secret" "$redirect" "$user" "bench password 1" \
    "$sessions" "$idle" "$seconds" "$(($(nproc) * 2))")
size_after=$(size)
python3 - "$flows" <<PY
import json, sys
r = json.loads(sys.argv[1])
cores = $(nproc)
r.update({"users": $users, "ready_ms": $ready_ms,
          "client_credentials_rps": $cc_rps, "client_credentials_cpu_us": $cc_cpu,
          "client_credentials_per_core": round(1e6 / $cc_cpu, 1),
          "introspection_rps": $in_rps, "introspection_cpu_us": $in_cpu,
          "introspection_per_core": round(1e6 / $in_cpu, 1),
          "postgres_bytes_per_sso_session": round(($size_after - $size_before) / r["sign_ins"])})
print(json.dumps(r))
PY
