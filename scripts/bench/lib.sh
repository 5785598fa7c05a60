# shellcheck shell=bash
# Shared by the bench scripts (run.sh, flows.sh): CPU time from /proc and fields of the JSON lines
# the sub-benchmarks print. Source it.

# cpu_ns PID: the process's CPU time, the sum over its threads of the nanoseconds they ran (schedstat).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }
# cpu_us PID BEFORE_NS REQUESTS: microseconds of CPU per request since BEFORE_NS.
cpu_us() { python3 -c "print(round(($(cpu_ns "$1") - $2) / 1000 / max($3, 1), 1))"; }
# json_field JSON KEY: one top-level field of a JSON object.
json_field() { python3 -c "import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
