#!/usr/bin/env bash
# GET /protected throughput with 100,000 revoked jtis in memory against none, in one run and on
# one daemon (release build, loopback, wrk), alternating none / 100k five times so drift on a
# shared machine hits both sides (medians reported); plus the resident memory each revoked entry costs.
# The entries are inserted straight into the revocations table, then the listener's connection
# is terminated: its reconnect reloads the whole state, as after any outage.
# Usage: scripts/bench/revocations.sh [SECONDS per run, default 6]  (starts its own PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
seconds=${1:-6}
entries=100000

scripts/install-deps.sh wrk
swift build -c release --product authd >/dev/null
source scripts/interop/lib.sh
export AUTHD_LOG_LEVEL=info
AUTHD_BIN="$(swift build -c release --show-bin-path 2>/dev/null)/authd" start_authd
pid=${authd_pids[-1]}
user="bench$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
register "$user" "bench password 1"
token=$(login "$user" "bench password 1")
psql=("$AUTHD_PG_BINDIR/psql" -q -v ON_ERROR_STOP=1 "$AUTHD_DATABASE_URL")

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# throughput: "REQ_PER_S CPU_US_PER_REQUEST" of GET /protected over $seconds. CPU time per request
# (authd's user + system time over the requests served) is far steadier than throughput on a
# shared machine.
throughput() {
    local before after output
    before=$(cpu_ticks)
    output=$(wrk -t 2 -c 32 -d "${seconds}s" -H "Authorization: Bearer $token" "http://127.0.0.1:$HTTP_PORT/protected")
    after=$(cpu_ticks)
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        / requests in / {requests = $1}
        /^Requests\/sec/ {rps = $2}
        END {printf "%s %.2f\n", rps, ticks / hz * 1e6 / requests}' <<<"$output"
}
# reload WANT: terminates the listener's connection, waits until it has reloaded WANT token entries.
reload() {
    local before
    before=$(grep -c "revocation listener connected" "$interop_work/authd.log")
    "${psql[@]}" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE application_name = 'authd revocation listener'" >/dev/null
    for _ in $(seq 1 300); do
        if [ "$(grep -c "revocation listener connected" "$interop_work/authd.log")" -gt "$before" ] \
            && tail -n 20 "$interop_work/authd.log" | grep -q "\"revocations\":\"(tokens: $1,"; then
            return 0
        fi
        sleep 0.1
    done
    echo "the listener did not reload $1 entries" >&2
    exit 1
}
fill() { # 22-character subjects, as long as real jtis (16 random bytes in base64url)
    "${psql[@]}" -c "INSERT INTO revocations (kind, subject, expires_at)
                     SELECT 'token', left(md5(random()::text || i), 22), now() + interval '1 hour'
                     FROM generate_series(1, $entries) i"
    reload "$entries"
}
empty() {
    "${psql[@]}" -c "DELETE FROM revocations WHERE kind = 'token'"
    reload 0
}

throughput >/dev/null # warm-up
rss_none=$(rss_kib)
none=() full=() none_cpu=() full_cpu=()
for round in 1 2 3 4 5; do
    read -r rps cpu < <(throughput)
    none+=("$rps") none_cpu+=("$cpu")
    fill
    [ "$round" = 1 ] && rss_full=$(rss_kib)
    read -r rps cpu < <(throughput)
    full+=("$rps") full_cpu+=("$cpu")
    empty
done

python3 - "$rss_none" "$rss_full" "$entries" "$seconds" "${none[*]}" "${full[*]}" "${none_cpu[*]}" "${full_cpu[*]}" <<'PY'
import json, os, statistics, sys
rss_none, rss_full, entries, seconds = map(int, sys.argv[1:5])
none, full, none_cpu, full_cpu = [list(map(float, runs.split())) for runs in sys.argv[5:9]]
none_median, full_median = statistics.median(none), statistics.median(full)
paired = statistics.median(f / n for n, f in zip(none, full))
per_entry = (rss_full - rss_none) * 1024 / entries
runs = lambda values: ", ".join(f"{value:.0f}" for value in values)
print(f"{'GET /protected, wrk 2 threads x 32 connections':<48} {'req/s':>10}   (median of {len(none)} runs of {seconds} s)")
print(f"{'no revoked jtis':<48} {none_median:>10.0f}   runs {runs(none)}")
print(f"{'%d revoked jtis in memory' % entries:<48} {full_median:>10.0f}   runs {runs(full)}")
print(f"{'ratio of the medians (with / without)':<48} {full_median / none_median:>10.3f}")
print(f"{'median of the paired ratios':<48} {paired:>10.3f}")
cpu = lambda values: ", ".join(f"{value:.1f}" for value in values)
print(f"{'authd CPU µs per request, no revoked jtis':<48} {statistics.median(none_cpu):>10.1f}   runs {cpu(none_cpu)}")
print(f"{'authd CPU µs per request, %d revoked' % entries:<48} {statistics.median(full_cpu):>10.1f}   runs {cpu(full_cpu)}")
print(f"{'CPU ratio (with / without)':<48} {statistics.median(full_cpu) / statistics.median(none_cpu):>10.3f}")
print(f"{'resident memory per revoked entry':<48} {per_entry:>10.0f} B   RSS {rss_none} -> {rss_full} KiB")
os.makedirs(".build/bench", exist_ok=True)
with open(".build/bench/revocations.json", "w") as out:
    json.dump({"none_rps": none, "revoked_rps": full, "entries": entries, "ratio": full_median / none_median, "paired_ratio": paired, "none_cpu_us": none_cpu, "revoked_cpu_us": full_cpu,
               "bytes_per_entry": per_entry, "cores": os.cpu_count()}, out)
PY
