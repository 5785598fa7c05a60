#!/usr/bin/env bash
# Slow and idle clients against one real authd (README, "Deployment at scale"):
#  1. wrk on GET /protected and sequential line VERIFYs, alone, then again while 5,000 idle line
#     connections and 5,000 idle HTTP keep-alive connections are held: the latency change and
#     authd's memory per idle connection are printed, and none of the held ones is dropped;
#  2. slowloris: 300 connections trickling a request head and 300 trickling a body, a byte a second,
#     while wrk runs: every one is closed by its deadline (http.header_timeout_seconds and
#     http.body_timeout_seconds, 3 s here), and wrk is served throughout without errors.
# A line client that never reads its replies is scripts/interop/line-flood.sh. About 60 s.
# IDLE_CONNECTIONS (5000) and AUTHD_BIN (the debug build) may be set.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
scripts/install-deps.sh wrk >/dev/null
idle=${IDLE_CONNECTIONS:-5000}
# Each idle connection is a descriptor in authd and one in the client holding it.
ulimit -n "$(ulimit -Hn)"
source scripts/interop/lib.sh
hostile=scripts/scale/hostile.py

AUTHD_HTTP_MAX_CONNECTIONS=$((idle + 1000)) AUTHD_LINE_MAX_CONNECTIONS=$((idle + 1000)) \
    AUTHD_HTTP_HEADER_TIMEOUT_SECONDS=3 AUTHD_HTTP_BODY_TIMEOUT_SECONDS=3 start_authd
pid=${authd_pids[0]}
register hostile 'hostile test pw 1'
token=$(login hostile 'hostile test pw 1')
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
# measure NAME: wrk's req/s, p50 and p99 and the VERIFY probe, into $interop_work/NAME.
measure() {
    wrk -t 2 -c 32 -d 5s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$HTTP_PORT/protected" \
        >"$interop_work/$1.wrk"
    python3 "$hostile" verify "$LINE_PORT" "$token" 3000 >"$interop_work/$1.verify"
}
wrk_field() { # wrk_field FILE requests|p50|p99|errors
    case $2 in
        requests) awk '/Requests\/sec/ { print $2 }' "$1" ;;
        p50) awk '$1 == "50%" { print $2 }' "$1" ;;
        p99) awk '$1 == "99%" { print $2 }' "$1" ;;
        errors) awk '/Non-2xx|Socket errors/ { found = 1; print } END { if (!found) print "none" }' "$1" ;;
    esac
}
failures=0
expect_true() { # expect_true CONDITION WHAT
    if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2" >&2; failures=$((failures + 1)); fi
}

fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
measure quiet
rss_quiet=$(rss) fds_quiet=$(fds)
python3 "$hostile" hold "$LINE_PORT" "$HTTP_PORT" "$idle" "$interop_work/ready" >"$interop_work/held" &
holder=$!
for _ in $(seq 1 600); do [ -f "$interop_work/ready" ] && break; sleep 0.1; done
expect_true "[ -f '$interop_work/ready' ]" "$idle idle line and $idle idle HTTP keep-alive connections open"
rss_held=$(rss)
measure held
kill -TERM "$holder"
wait "$holder"
# The quiet run again once authd has closed them: how much of the change is this machine's noise.
for _ in $(seq 1 300); do [ "$(fds)" -le $((fds_quiet + 10)) ] && break; sleep 0.1; done
measure after
python3 - "$interop_work" "$idle" "$rss_quiet" "$rss_held" <<'PY'
import json, re, sys
work, idle, rss_quiet, rss_held = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])

def wrk(name):
    text = open(f"{work}/{name}.wrk").read()
    def ms(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)), ms("50%"), ms("99%")

quiet, held, after = wrk("quiet"), wrk("held"), wrk("after")
vq, vh, va = (json.load(open(f"{work}/{name}.verify")) for name in ("quiet", "held", "after"))
print(f"GET /protected, wrk 2x32 for 5 s, alone -> with the idle connections -> alone again: "
      f"{quiet[0]:.0f} -> {held[0]:.0f} -> {after[0]:.0f} req/s ({held[0] / ((quiet[0] + after[0]) / 2):.2f} of alone), "
      f"p50 {quiet[1]:.2f} -> {held[1]:.2f} -> {after[1]:.2f} ms, p99 {quiet[2]:.2f} -> {held[2]:.2f} -> {after[2]:.2f} ms")
print(f"line VERIFY, sequential: p50 {vq['p50']} -> {vh['p50']} -> {va['p50']} ms, "
      f"p99 {vq['p99']} -> {vh['p99']} -> {va['p99']} ms")
print(f"authd RSS {rss_quiet} -> {rss_held} MiB with {2 * idle} idle connections "
      f"({(rss_held - rss_quiet) * 1024 / (2 * idle):.1f} KiB each)")
held_state = json.load(open(f"{work}/held"))
ok = held_state == {"line_closed": 0, "http_closed": 0}
print(("ok: " if ok else "FAIL: ") + f"no held connection was dropped ({held_state})")
sys.exit(0 if ok else 1)
PY
for file in quiet held after; do
    expect_true "[ \"$(wrk_field "$interop_work/$file.wrk" errors)\" = none ]" "wrk saw no errors ($file)"
done

# 2. Slowloris while wrk runs.
wrk -t 2 -c 16 -d 12s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$HTTP_PORT/protected" >"$interop_work/loris.wrk" &
load=$!
python3 "$hostile" slowloris "$HTTP_PORT" 300 head >"$interop_work/loris-head" &
heads=$!
python3 "$hostile" slowloris "$HTTP_PORT" 300 body >"$interop_work/loris-body"
wait "$heads" "$load"
for kind in head body; do
    result=$(cat "$interop_work/loris-$kind")
    echo "slowloris $kind: $result"
    expect_true "python3 -c 'import json, sys; r = json.loads(sys.argv[1]); sys.exit(not (r[\"alive\"] == 0 and r[\"max\"] <= 6))' '$result'" \
        "every trickled $kind was closed within 6 s (deadline 3 s)"
done
echo "GET /protected under slowloris: $(wrk_field "$interop_work/loris.wrk" requests) req/s, p99 $(wrk_field "$interop_work/loris.wrk" p99)"
expect_true "[ \"$(wrk_field "$interop_work/loris.wrk" errors)\" = none ]" \
    "wrk saw no errors under slowloris ($(wrk_field "$interop_work/loris.wrk" errors))"
[ "$failures" = 0 ] || { echo "hostile: $failures failures" >&2; exit 1; }
echo "hostile: all checks passed"
