#!/usr/bin/env bash
# GET /protected with a DPoP-bound token (RFC 9449: a fresh ES256 proof on every request, its
# signature checked and its jti recorded in PostgreSQL's replay table) beside the same route with a
# bearer token, in one run on one daemon (release build, loopback, wrk 2 threads x 16
# connections), alternating bearer / DPoP three times so drift on a shared machine hits both
# (medians). The proofs are signed before each DPoP run (scripts/bench/dpop_proofs.py), so the
# client's signing is not measured. Prints requests/s, authd's and PostgreSQL's CPU time per
# request, and the DPoP / bearer ratios as one JSON line.
# Usage: scripts/bench/dpop.sh   [BENCH_SECONDS=5] [PROOFS=40000 per run]  (starts its own PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
seconds=${BENCH_SECONDS:-5} proofs=${PROOFS:-40000}
scripts/install-deps.sh wrk
swift build -c release --product authd >/dev/null
swift build -c release --product authctl >/dev/null
source scripts/interop/lib.sh
source scripts/bench/lib.sh
browser_venv
"$(swift build -c release --show-bin-path)/authctl" migrate --config config/authd.yaml >/dev/null
NEXT_HTTP_PORT=$(free_port)
issuer="http://127.0.0.1:$NEXT_HTTP_PORT"
# Proofs are signed up to a run before they are sent: their iat may be minutes old.
export AUTHD_OAUTH_ISSUER="$issuer" AUTHD_DPOP_PROOF_LIFETIME_SECONDS=600 AUTHD_LOG_LEVEL=warning
AUTHD_BIN="$(swift build -c release --show-bin-path)/authd" start_authd
pid=${authd_pids[-1]}
postmaster=$(head -n 1 "$AUTHD_PG_DATA/postmaster.pid")
user="dpop$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "bench password 1"
bearer=$(login "$user" "bench password 1")

# postgres_ns: CPU time of the cluster's processes (the postmaster and its children).
postgres_ns() {
    local total=0 child
    for child in $postmaster $(pgrep -P "$postmaster"); do total=$((total + $(cpu_ns "$child"))); done
    echo "$total"
}
# run ARGS...: "REQ_PER_S AUTHD_CPU_US POSTGRES_CPU_US NON_2XX" of wrk ARGS on GET /protected.
run() {
    local authd_before postgres_before rate requests failed
    authd_before=$(cpu_ns "$pid")
    postgres_before=$(postgres_ns)
    read -r rate requests failed < <(wrk -t 2 -c 16 -d "${seconds}s" "$@" "$issuer/protected" | awk '
        /^Requests\/sec/ {rps = $2} / requests in / {n = $1} /Non-2xx/ {bad = $5}
        END {print rps, n, bad + 0}')
    echo "$rate $(cpu_us "$pid" "$authd_before" "$requests") \
$(python3 -c "print(round(($(postgres_ns) - $postgres_before) / 1000 / max($requests, 1), 1))") $failed"
}
results=()
for round in 1 2 3; do
    results+=("bearer $(run -H "Authorization: Bearer $bearer")")
    token=$(.venv/bin/python scripts/bench/dpop_proofs.py "$HTTP_PORT" "$issuer" "$user" "bench password 1" \
        "$proofs" "$interop_work/proofs")
    results+=("dpop $(TOKEN=$token PROOFS=$interop_work/proofs THREADS=2 run -s scripts/bench/dpop-protected.lua)")
    echo "dpop bench: round $round: ${results[-2]} | ${results[-1]}" >&2
done
printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
runs = {"bearer": [], "dpop": []}
for line in sys.stdin:
    kind, rate, authd, postgres, failed = line.split()
    runs[kind].append((float(rate), float(authd), float(postgres), int(failed)))
def median(kind, index): return statistics.median(run[index] for run in runs[kind])
result = {kind + "_" + name: median(kind, index) for kind in runs
          for index, name in enumerate(["rps", "authd_cpu_us", "postgres_cpu_us"])}
result["dpop_non_2xx"] = sum(run[3] for run in runs["dpop"])
result["bearer_non_2xx"] = sum(run[3] for run in runs["bearer"])
result["dpop_to_bearer_rps"] = round(result["dpop_rps"] / result["bearer_rps"], 3)
result["dpop_to_bearer_authd_cpu"] = round(result["dpop_authd_cpu_us"] / result["bearer_authd_cpu_us"], 2)
print(json.dumps(result))'
