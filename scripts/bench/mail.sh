#!/usr/bin/env bash
# The outbox and the mail path (#35), against one release authd relaying to PyPI aiosmtpd (STARTTLS
# and AUTH required, scripts/interop/smtp_sink.py) on loopback: POST /password/forgot per second
# (each queues its request in the outbox: the insert a request costs) beside the bare Hummingbird
# reference's GET /hello measured in the same run, and its p99 with the relay up and then down
# (it must not wait on the relay); then the delivery of 2,000 queued messages to the relay
# (messages per second, insert to empty outbox) beside Python's smtplib sending 2,000 through the
# same relay the same way (scripts/bench/smtp_reference.py, 8 at a time as authd's batch).
# About a minute once built; scripts/bench/run.sh runs it too. Prints one JSON line.
# Usage: scripts/bench/mail.sh   [BENCH_SECONDS=8 per measurement]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
seconds=${BENCH_SECONDS:-8}
scripts/install-deps.sh wrk openssl
swift build -c release --product authd >/dev/null
(cd scripts/bench/reference && swift build -c release --product Reference >/dev/null)
reference_bin="$(cd scripts/bench/reference && swift build -c release --show-bin-path)/Reference"
source scripts/interop/lib.sh
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c 'import aiosmtpd' 2>/dev/null \
    || .venv/bin/pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$interop_work/relay.key" -out "$interop_work/relay.crt" 2>/dev/null
printf 'relay password 1\n' >"$interop_work/relay-pw"
mkdir "$interop_work/mail"
smtp_port=$(free_port)
.venv/bin/python scripts/interop/smtp_sink.py "$smtp_port" "$interop_work/relay.crt" "$interop_work/relay.key" \
    relay-user 'relay password 1' "$interop_work/mail" >"$interop_work/sink.log" 2>&1 &
sink_pid=$!
server_pids+=("$sink_pid")
for _ in $(seq 1 100); do grep -q listening "$interop_work/sink.log" && break; sleep 0.1; done

ref_port=$(free_port)
PORT=$ref_port "$reference_bin" >/dev/null 2>&1 &
server_pids+=($!)
for _ in $(seq 1 50); do (echo >"/dev/tcp/127.0.0.1/$ref_port") 2>/dev/null && break; sleep 0.1; done

export AUTHD_MAIL_TRANSPORT=smtp AUTHD_MAIL_FROM="no-reply@authd.test" AUTHD_MAIL_SMTP_HOST=127.0.0.1
export AUTHD_MAIL_SMTP_PORT="$smtp_port" AUTHD_MAIL_SMTP_SECURITY=starttls AUTHD_MAIL_SMTP_CA_FILE="$interop_work/relay.crt"
export AUTHD_MAIL_SMTP_USERNAME=relay-user AUTHD_MAIL_SMTP_PASSWORD_FILE="$interop_work/relay-pw"
export AUTHD_MAIL_TIMEOUT_SECONDS=5 AUTHD_LIMITS_MAIL_BURST=0 AUTHD_LOG_LEVEL=notice
AUTHD_BIN="$(swift build -c release --show-bin-path)/authd" start_authd
BENCH_USER="mailbench$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BENCH_USER
register "$BENCH_USER" "bench password 1"
psql=("$AUTHD_PG_BINDIR/psql" -q -v ON_ERROR_STOP=1 "$AUTHD_DATABASE_URL")
waiting() { "${psql[@]}" -At -c "SELECT count(*) FROM outbox WHERE failed_at IS NULL"; }
drain() { for _ in $(seq 1 1200); do [ "$(waiting)" = 0 ] && return 0; sleep 0.05; done; }

# wrk_run URL ARGS...: "REQ_PER_S P99_MS" (2 threads, 32 connections).
wrk_run() {
    local url=$1
    shift
    wrk -t 2 -c 32 -d "${seconds}s" --latency "$@" "$url" | awk '
        /^Requests\/sec/ {rps = $2}
        $1 == "99%" {v = $2; if (v ~ /us$/) p = v / 1000; else if (v ~ /ms$/) p = v + 0; else p = v * 1000}
        /Non-2xx/ {bad = $NF}
        END {printf "%.2f %.2f\n", rps, p; if (bad > 0) printf "bench: %s non-2xx answers\n", bad > "/dev/stderr"}'
}

read -r hello hello_p99 <<<"$(wrk_run "http://127.0.0.1:$ref_port/hello")"
read -r forgot forgot_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/password/forgot" -s scripts/bench/forgot.lua)"
drain
# The relay down: deliveries fail and are deferred; the requests must not notice.
kill "$sink_pid"
wait "$sink_pid" 2>/dev/null || true
read -r forgot_down forgot_down_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/password/forgot" -s scripts/bench/forgot.lua)"
"${psql[@]}" -c "DELETE FROM outbox"

# Delivery: 2,000 messages queued in one INSERT, to an empty outbox, timed until it is empty again.
.venv/bin/python scripts/interop/smtp_sink.py "$smtp_port" "$interop_work/relay.crt" "$interop_work/relay.key" \
    relay-user 'relay password 1' "$interop_work/mail" >"$interop_work/sink.log" 2>&1 &
server_pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$interop_work/sink.log" && break; sleep 0.1; done
start=$(date +%s.%N)
queue_mail bench 2000
drain
delivered=$(python3 -c "print(round(2000 / ($(date +%s.%N) - $start), 1))")
reference_delivery=$(python3 scripts/bench/smtp_reference.py "$smtp_port" "$interop_work/relay.crt" relay-user \
    'relay password 1' 2000 8)

ratio() { python3 -c "print(round($1 / $2, 3))"; }
echo "bench: /password/forgot $forgot/s (hello $hello/s), p99 $forgot_p99 ms, relay down $forgot_down_p99 ms;" \
    "delivery $delivered/s (smtplib $reference_delivery/s)" >&2
printf '{"hello_rps": %s, "hello_p99_ms": %s, "forgot_rps": %s, "forgot_ratio": %s, "forgot_p99_ms": %s, ' \
    "$hello" "$hello_p99" "$forgot" "$(ratio "$forgot" "$hello")" "$forgot_p99"
printf '"forgot_relay_down_rps": %s, "forgot_relay_down_p99_ms": %s, "forgot_p99_ratio_down_to_up": %s, ' \
    "$forgot_down" "$forgot_down_p99" "$(ratio "$forgot_down_p99" "$forgot_p99")"
printf '"delivery_per_s": %s, "smtplib_per_s": %s, "delivery_ratio": %s}\n' \
    "$delivered" "$reference_delivery" "$(ratio "$delivered" "$reference_delivery")"
