#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: unlike requests per second they do
# not move with a shared machine's load (two runs of the same build agreed within 0.4 % on every
# row). The reference route and a second authd on the bench's database run under callgrind;
# for each row a warm-up, then the counters zeroed, COUNT requests sent one at a time on one
# connection (scripts/bench/fixed-count.py), the counters dumped: every thread's instructions
# divided by COUNT, so the server's whole cost (event loops, pool, log line) is in it.
#
#   instructions.sh OUT_DIR REFERENCE_BIN AUTHD_BIN TOKEN TOKENS_FILE
#
# Needs AUTHD_DATABASE_URL (the bench's database, holding TOKEN's user and those of TOKENS_FILE,
# none revoked) and SECRET_FILE. Prints "reference reference_bearer protected protected_distinct
# verify verify_distinct"; distinct rows take fresh tokens of TOKENS_FILE, none seen before by
# this instance. BENCH_INSTRUCTION_REQUESTS sets COUNT (2,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1 reference_bin=$2 authd_bin=$3 token=$4 tokens=$5
count=${BENCH_INSTRUCTION_REQUESTS:-2000}
warm=200
dir=$out/callgrind
rm -rf "$dir"
mkdir -p "$dir"
# valgrind 3.19 cannot read the DWARF of Swift 6 binaries: they run without their debug information.
objcopy --strip-debug "$reference_bin" "$dir/reference"
objcopy --strip-debug "$authd_bin" "$dir/authd"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# under_callgrind NAME COMMAND...: runs COMMAND under callgrind in the background; its pid in $started.
under_callgrind() {
    local name=$1
    shift
    SWIFT_BACKTRACE=enable=no valgrind --tool=callgrind --callgrind-out-file="$dir/$name.out" "$@" \
        >"$dir/$name.log" 2>&1 &
    started=$!
    pids+=("$started")
}
wait_port() {
    for _ in $(seq 1 900); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
    echo "instructions: nothing listens on port $1 after 90 s" >&2
    tail -n 20 "$dir"/*.log >&2
    return 1
}
# per_request PID NAME KIND PORT PATH FIRST TOKEN|@FILE: instructions per request over COUNT
# requests (tokens FIRST.. of a file), after WARM others (the file's tokens before FIRST).
per_request() {
    local pid=$1 name=$2 kind=$3 port=$4 path=$5 first=$6 bearer=${7:-}
    python3 scripts/bench/fixed-count.py "$kind" "$port" "$path" "$((first - warm))" "$warm" "$bearer" || return 1
    callgrind_control -z "$pid" >/dev/null 2>&1 || return 1
    python3 scripts/bench/fixed-count.py "$kind" "$port" "$path" "$first" "$count" "$bearer" || return 1
    callgrind_control -d "$pid" >/dev/null 2>&1 || return 1
    # Dumps are numbered from 1: this one is the highest.
    local dump
    dump=$(find "$dir" -name "$name.out.*" | awk -F. '{print $NF}' | sort -n | tail -n 1)
    awk -v n="$count" '/^summary:/ {printf "%.0f\n", $2 / n}' "$dir/$name.out.$dump"
}

port=$(free_port)
PORT=$port under_callgrind reference "$dir/reference"
reference_pid=$started
wait_port "$port"
reference=$(per_request "$reference_pid" reference http "$port" /hello "$warm")
reference_bearer=$(per_request "$reference_pid" reference http "$port" /hello "$warm" "$token")

http_port=$(free_port)
line_port=$(free_port)
AUTHD_JWT_SECRET_FILE="$SECRET_FILE" AUTHD_HTTP_ADDR="127.0.0.1:$http_port" AUTHD_LINE_ADDR="127.0.0.1:$line_port" \
    AUTHD_LOG_LEVEL=info under_callgrind authd "$dir/authd" --config config/authd.yaml
authd_pid=$started
wait_port "$http_port"
wait_port "$line_port"
# Ready once the revocation state is loaded (slow under valgrind: the listener's SCRAM handshake).
for _ in $(seq 1 900); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz")" = 200 ] && break
    sleep 0.1
done
protected=$(per_request "$authd_pid" authd http "$http_port" /protected "$warm" "$token")
protected_distinct=$(per_request "$authd_pid" authd http "$http_port" /protected "$warm" "@$tokens")
verify=$(per_request "$authd_pid" authd line "$line_port" - "$warm" "$token")
verify_distinct=$(per_request "$authd_pid" authd line "$line_port" - "$((2 * warm + count))" "@$tokens")
echo "$reference $reference_bearer $protected $protected_distinct $verify $verify_distinct"
