#!/usr/bin/env bash
# `make bench`: release builds, loopback only, about thirteen minutes once built. In one run it
# measures the reference (a bare Hummingbird route, scripts/bench/reference; also sent authd's
# bearer header) before and after authd, then authd's GET /protected, GET /authz, POST /login, POST /register with wrk, TCP VERIFY
# pipelined and request-response with scripts/bench/line-verify.c, the hashing ceiling (cores ÷
# one scrypt at the configured parameters), a login storm (GET /protected p99 and VERIFY
# throughput while logins saturate the hashing pool), idle memory, GET /protected with 1,000
# and 1,000,000 users in the table (seeded with COPY), and for HS256, EdDSA and ES256 tokens:
# GET /protected and TCP VERIFY with one token and with 100,000 distinct ones (of 10,000 users), and
# POST /oauth2/token client credentials; RSS after those 100,000 tokens and 100,000 revocations;
# and `authctl user import` of 1,000,000 pre-hashed CSV rows (rows/s, peak RSS); password checks
# through line AUTH, an LDAP bind and a RADIUS Access-Request, and LDAP searches by uid
# (scripts/bench/frontends.sh); start to ready with that table, the OpenID Connect code flow,
# client credentials and introspection per core, 10,000 SSO sessions and 10,000 idle connections
# (scripts/bench/flows.sh), POST /password/forgot (the outbox insert) with the relay up and down and
# outbox delivery to aiosmtpd beside smtplib (scripts/bench/mail.sh), GET /protected with a
# DPoP-bound token beside a bearer one (scripts/bench/dpop.sh), and openssl speed's own
# figures beside them. Beside the rates,
# the CPU time each request cost the server (its threads' /proc schedstat, divided by the requests
# served), a figure a busy shared machine blurs far less than requests per second; and the
# instructions per request of the reference, GET /protected and TCP VERIFY (one token and distinct
# ones) counted under valgrind's callgrind, which the machine's load barely moves (0.4 % between runs)
# (scripts/bench/instructions.sh, about a minute).
# Prints a table; writes .build/bench/results.json and a plot of it, results.png (scripts/bench/plot.py).
# Usage: make bench   [BENCH_SECONDS=8 per measurement]   (starts its own PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
seconds=${BENCH_SECONDS:-8}
out=.build/bench
mkdir -p "$out"

scripts/install-deps.sh wrk valgrind
echo "bench: building authd and the reference in release mode (minutes the first time)" >&2
swift build -c release --product authd >/dev/null
(cd scripts/bench/reference && swift build -c release --product Reference >/dev/null)
cc -O2 -pthread -o "$out/line-verify" scripts/bench/line-verify.c
reference_bin="$(cd scripts/bench/reference && swift build -c release --show-bin-path)/Reference"

source scripts/interop/lib.sh
source scripts/bench/lib.sh
export AUTHD_LIMITS_ATTEMPTS_BURST=0 AUTHD_LIMITS_REGISTER_BURST=0 AUTHD_LIMITS_ACCOUNT_FAILURES_BURST=0 AUTHD_LOG_LEVEL=info
# The configured (default) scrypt cost, not the interop scripts' cheap one.
AUTHD_PASSWORD_SCRYPT_LN=15 AUTHD_BIN="$(swift build -c release --show-bin-path)/authd" start_authd
pid=${authd_pids[-1]}
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
idle_rss=$(rss_mib)
BENCH_USER="bench$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BENCH_USER BENCH_PREFIX="b$RANDOM"
register "$BENCH_USER" "bench password 1"
token=$(login "$BENCH_USER" "bench password 1")

# wrk_run URL ARGS...: "REQ_PER_S P99_MS" (2 threads; connections and the rest in ARGS); the number
# of requests served goes to $out/requests.
wrk_run() {
    local url=$1
    shift
    wrk -t 2 -d "${seconds}s" --latency "$@" "$url" | awk -v requests="$out/requests" '
        /^Requests\/sec/ {rps = $2}
        / requests in / {print $1 > requests}
        $1 == "99%" {v = $2; if (v ~ /us$/) p = v / 1000; else if (v ~ /ms$/) p = v + 0; else p = v * 1000}
        /Non-2xx/ {bad = $NF}
        END {printf "%.2f %.2f\n", rps, p; if (bad > 0) printf "bench: %s non-2xx answers\n", bad > "/dev/stderr"}'
}
# verify_run PORT TOKEN|@FILE CONNECTIONS DEPTH: line-verify's rate; the requests go to $out/requests.
verify_run() {
    local rate
    rate=$("$out/line-verify" "$@" "$seconds")
    python3 -c "print(int($rate * $seconds))" >"$out/requests"
    echo "$rate"
}
hello() { wrk_run "http://127.0.0.1:$ref_port/hello" -c 32 "$@"; }
start_reference() {
    ref_port=$(free_port)
    PORT=$ref_port "$reference_bin" >/dev/null 2>&1 &
    ref_pid=$!
    authd_pids+=("$ref_pid")
    for _ in $(seq 1 50); do (echo >"/dev/tcp/127.0.0.1/$ref_port") 2>/dev/null && return 0; sleep 0.1; done
}
stop_reference() { kill "$ref_pid"; wait "$ref_pid" 2>/dev/null || true; }

bearer=(-H "Authorization: Bearer $token")
# The reference twice: as it is, and sent the same Authorization header as authd's routes get
# (parsing a 300-byte header is part of every authenticated request, not of authd's own work).
start_reference
read -r ref1 ref1_p99 <<<"$(hello)"
before=$(cpu_ns "$ref_pid")
read -r refb1 refb1_p99 <<<"$(hello "${bearer[@]}")"
cpu_ref1=$(cpu_us "$ref_pid" "$before" "$(cat "$out/requests")")
stop_reference
before=$(cpu_ns "$pid")
read -r protected protected_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/protected" -c 32 "${bearer[@]}")"
cpu_protected=$(cpu_us "$pid" "$before" "$(cat "$out/requests")")
read -r authz authz_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/authz" -c 32 "${bearer[@]}")"
before=$(cpu_ns "$pid")
verify_pipelined=$(verify_run "$LINE_PORT" "$token" 8 128)
cpu_verify=$(cpu_us "$pid" "$before" "$(cat "$out/requests")")
verify_reqresp=$("$out/line-verify" "$LINE_PORT" "$token" 32 1 "$seconds")
start_reference
read -r ref2 _ <<<"$(hello)"
before=$(cpu_ns "$ref_pid")
read -r refb2 _ <<<"$(hello "${bearer[@]}")"
cpu_ref2=$(cpu_us "$ref_pid" "$before" "$(cat "$out/requests")")
stop_reference
cpu_reference=$(python3 -c "print(round(($cpu_ref1 + $cpu_ref2) / 2, 1))")
reference=$(python3 -c "print(round(($ref1 + $ref2) / 2, 2))")
reference_bearer=$(python3 -c "print(round(($refb1 + $refb2) / 2, 2))")

# Hashing: one scrypt at the configured parameters (OpenSSL through Python, like authd's), and
# the ceiling cores ÷ that time.
scrypt_ms=$(python3 -c '
import hashlib, os, statistics, time
times = []
for _ in range(5):
    start = time.perf_counter()
    hashlib.scrypt(b"bench password 1", salt=os.urandom(16), n=2**15, r=8, p=3, maxmem=2**27, dklen=32)
    times.append(time.perf_counter() - start)
print(round(statistics.median(times) * 1000, 1))')
ceiling=$(python3 -c "print(round($(nproc) / ($scrypt_ms / 1000), 2))")
read -r login_rate login_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/login" -c 4 --timeout 30s \
    -s scripts/bench/login.lua)"
read -r register_rate register_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/register" -c 4 --timeout 30s \
    -s scripts/bench/register.lua)"

psql=("$AUTHD_PG_BINDIR/psql" -q -v ON_ERROR_STOP=1 "$AUTHD_DATABASE_URL")
# Verification against a table of 1,000 users here, of 1,000,000 at the end.
seed() { # seed FROM TO [PREFIX]: users FROM..TO through COPY, each with the role user
    python3 - "$1" "$2" "${3:-seed}" <<'PY' | "${psql[@]}" -c "COPY users (username, email, password_hash) FROM STDIN"
import sys
first, last, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hash = "$scrypt$ln=15,r=8,p=3$c2VlZGVkLXVzZXItc2FsdA$" + "A" * 43
out = sys.stdout
for i in range(first, last + 1):
    out.write(f"{prefix}{i}\t{prefix}{i}@example.com\t{hash}\n")
PY
    "${psql[@]}" -c "INSERT INTO user_roles (user_id, role) SELECT id, 'user' FROM users
                     WHERE username LIKE '${3:-seed}%' AND id NOT IN (SELECT user_id FROM user_roles)"
}
seed 1 1000
users_small=$("${psql[@]}" -Atc "SELECT count(*) FROM users")
read -r small small_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/protected" -c 32 "${bearer[@]}")"

# Tokens signed three ways (#17). One token is verified once and then answered from the
# verified-token cache; 100,000 distinct ones of 10,000 users (far more than its 16,384 entries,
# cycled) are each verified in full: signature and claims. POST /oauth2/token reads the client
# and signs a token. EdDSA and ES256 get an instance of their own, each stopped before the next.
seed 1 10000 tok
"${psql[@]}" -Atc "SELECT id || ' ' || username FROM users WHERE username LIKE 'tok%'" >"$out/users.txt"
export USERS_FILE=$out/users.txt
if ! .venv/bin/python -c 'import cryptography, matplotlib' 2>/dev/null; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'cryptography>=41' 'matplotlib>=3.7,<4'
fi
distinct=100000
client_secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
"${psql[@]}" -c "INSERT INTO clients (id, name, type, secret_hash, grant_types)
                 VALUES ('bench', 'bench', 'confidential', '$(printf %s "$client_secret" | sha256sum | cut -d' ' -f1)',
                         '{client_credentials}')"
CLIENT_BASIC=$(printf 'bench:%s' "$client_secret" | base64 -w0)
export CLIENT_BASIC
declare -A signed
# measure_signed ALG TOKEN PID [KEY_FILE]:
#   signed[ALG]="cached distinct vcached vdistinct token-endpoint", cpu[ALG]="the first four's CPU µs per request"
declare -A cpu
measure_signed() {
    local alg=$1 one=$2 server=$3 tokens="$out/tokens-$1.txt" cached distinct_rps endpoint vcached vdistinct before
    local c1 c2 c3 c4
    KEY_FILE=${4:-} SECRET_FILE=$SECRET_FILE .venv/bin/python scripts/bench/tokens.py "$one" "$distinct" >"$tokens"
    before=$(cpu_ns "$server")
    read -r cached _ <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/protected" -c 32 -H "Authorization: Bearer $one")"
    c1=$(cpu_us "$server" "$before" "$(cat "$out/requests")")
    before=$(cpu_ns "$server")
    read -r distinct_rps _ <<<"$(TOKENS=$tokens wrk_run "http://127.0.0.1:$HTTP_PORT/protected" -c 32 \
        -s scripts/bench/protected-distinct.lua)"
    c2=$(cpu_us "$server" "$before" "$(cat "$out/requests")")
    read -r endpoint _ <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/oauth2/token" -c 16 -s scripts/bench/token-endpoint.lua)"
    before=$(cpu_ns "$server")
    vcached=$(verify_run "$LINE_PORT" "$one" 8 128)
    c3=$(cpu_us "$server" "$before" "$(cat "$out/requests")")
    before=$(cpu_ns "$server")
    vdistinct=$(verify_run "$LINE_PORT" "@$tokens" 8 128)
    c4=$(cpu_us "$server" "$before" "$(cat "$out/requests")")
    signed[$alg]="$cached $distinct_rps $vcached $vdistinct $endpoint"
    cpu[$alg]="$c1 $c2 $c3 $c4"
}
measure_signed HS256 "$token" "$pid"
# Instructions per request under callgrind (scripts/bench/instructions.sh), before the distinct
# tokens are revoked below.
SECRET_FILE=$SECRET_FILE scripts/bench/instructions.sh "$out" "$reference_bin" \
    "$(swift build -c release --show-bin-path)/authd" "$token" "$out/tokens-HS256.txt" >"$out/instructions.txt"
read -r ins_reference ins_reference_bearer ins_protected ins_protected_distinct ins_verify ins_verify_distinct \
    <"$out/instructions.txt"
# 100,000 revocations (the distinct tokens' ids, as a logout records them), each announced with
# its NOTIFY; then the instance's memory, with those tokens verified and revoked.
.venv/bin/python - "$out/tokens-HS256.txt" >"$out/revoked.tsv" <<'PY'
import base64, json, sys
for line in open(sys.argv[1]):
    payload = line.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    print(claims["jti"], claims["exp"] + 30, sep="\t")
PY
"${psql[@]}" >/dev/null <<SQL
CREATE TEMP TABLE bench_revoked (jti text, expires bigint);
\copy bench_revoked FROM '$out/revoked.tsv'
WITH r AS (INSERT INTO revocations (kind, subject, cut_off, expires_at)
           SELECT 'token', jti, 0, to_timestamp(expires) FROM bench_revoked RETURNING subject, expires_at)
SELECT count(pg_notify('authd_revocations', 'token ' || subject || ' 0 ' || extract(epoch FROM expires_at)::bigint))
FROM r;
SQL
# Applied when the last of them is refused.
last_revoked=$(tail -n 1 "$out/tokens-HS256.txt")
for _ in $(seq 1 150); do
    python3 - "$LINE_PORT" "$last_revoked" <<'PY' && break
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(f"VERIFY\tb\t{sys.argv[2]}\n".encode())
data = b""
while data.count(b"\n") < 3:  # two greeting lines, then the answer
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.exit(0 if b"revoked" in data else 1)
PY
    sleep 0.2
done
revoked_rss=$(rss_mib)
main_ports=("$HTTP_PORT" "$LINE_PORT")
for alg in EdDSA ES256; do
    key="$out/signing-$alg.pem"
    rm -f "$key"
    case $alg in
        EdDSA) openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null ;;
        ES256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null ;;
    esac
    chmod 600 "$key"
    AUTHD_JWT_ALGORITHM=$alg AUTHD_JWT_SIGNING_KEY_FILE=$key AUTHD_PASSWORD_SCRYPT_LN=15 \
        AUTHD_BIN="$(swift build -c release --show-bin-path)/authd" start_authd
    measure_signed "$alg" "$(login "$BENCH_USER" "bench password 1")" "${authd_pids[-1]}" "$key"
    kill "${authd_pids[-1]}"
    wait "${authd_pids[-1]}" 2>/dev/null || true
done
HTTP_PORT=${main_ports[0]} LINE_PORT=${main_ports[1]}

# Login storm: 16 connections keep the hashing pool full while GET /protected and VERIFY run.
wrk -t 1 -c 16 -d "$((seconds * 2 + 4))s" --timeout 30s -s scripts/bench/login.lua \
    "http://127.0.0.1:$HTTP_PORT/login" >"$out/storm.txt" &
storm=$!
sleep 2
read -r storm_rps storm_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/protected" -c 32 "${bearer[@]}")"
storm_verify=$("$out/line-verify" "$LINE_PORT" "$token" 8 128 "$seconds")
wait "$storm"
storm_logins=$(awk '/^Requests\/sec/ {print $2}' "$out/storm.txt")
busy_rss=$(rss_mib)

# Verification against a table of 1,000,000 users (1,000 measured before).
seed 1001 1000000
users_large=$("${psql[@]}" -Atc "SELECT count(*) FROM users")
read -r large large_p99 <<<"$(wrk_run "http://127.0.0.1:$HTTP_PORT/protected" -c 32 "${bearer[@]}")"

# Bulk import of 1,000,000 pre-hashed rows with authctl (scripts/bench/import.sh).
read -r import_rows import_seconds import_rate import_rss <<<"$(scripts/bench/import.sh 1000000)"

# Start to ready with this table, the token endpoint and introspection per core, 10,000 SSO
# sessions, the OpenID Connect code flow and 10,000 idle connections (scripts/bench/flows.sh: its
# own authd on this database).
flows=$(scripts/bench/flows.sh 2>"$out/flows.log" | tail -n 1)
flow() { json_field "$flows" "$1"; }
# OpenSSL's own figures on one core: ES256 and EdDSA verifications, RSA-3072 signatures (an ID
# token's, one per code flow).
read -r ossl_es256 ossl_eddsa ossl_rsa_sign <<<"$(openssl speed -seconds 2 ecdsap256 ed25519 rsa3072 2>/dev/null | awk '
    /ecdsa \(nistp256\)/ {e = $NF} /EdDSA \(Ed25519\)/ {d = $NF} /^rsa 3072/ {r = $(NF - 1)} END {print e, d, r}')"

# Password checks through the line protocol, LDAP and RADIUS, and LDAP searches by uid
# (scripts/bench/frontends.sh: its own authd with both front ends on, on this database).
frontends=$(scripts/bench/frontends.sh 2>"$out/frontends.log" | tail -n 1)
field() { json_field "$frontends" "$1"; }
# The outbox: /password/forgot per second and its p99 with the relay up and down, delivery to a
# relay (scripts/bench/mail.sh: its own authd and aiosmtpd, on this database).
mail=$(scripts/bench/mail.sh 2>"$out/mail.log" | tail -n 1)
mailf() { json_field "$mail" "$1"; }
# GET /protected with a DPoP-bound token and a fresh proof per request beside a bearer token
# (scripts/bench/dpop.sh: its own authd on this database).
dpop=$(scripts/bench/dpop.sh 2>"$out/dpop.log" | tail -n 1)
dpopf() { json_field "$dpop" "$1"; }
per_core() { python3 -c "print(round($1 / $(nproc), 1))"; }

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
{
    printf '%-52s %12s %10s %8s\n' "measure" "per second" "p99 ms" "ratio"
    printf '%-52s %12s %10s %8s\n' "reference: bare Hummingbird GET /hello (mean of 2)" "$reference" "$ref1_p99" "1.00"
    printf '%-52s %12s %10s %8s\n' "reference sent the same bearer header (mean of 2)" "$reference_bearer" "$refb1_p99" \
        "$(ratio "$reference_bearer" "$reference")"
    printf '%-52s %12s %10s %8s\n' "GET /protected" "$protected" "$protected_p99" "$(ratio "$protected" "$reference")"
    printf '%-52s %12s %10s %8s\n' "  ratio to the reference with the bearer header" "" "" \
        "$(ratio "$protected" "$reference_bearer")"
    printf '%-52s %12s %10s %8s\n' "GET /authz" "$authz" "$authz_p99" "$(ratio "$authz" "$reference")"
    printf '%-52s %12s %10s %8s\n' "  ratio to the reference with the bearer header" "" "" \
        "$(ratio "$authz" "$reference_bearer")"
    printf '%-52s %12s %10s %8s\n' "TCP VERIFY pipelined (8 conns x 128)" "$verify_pipelined" "" \
        "$(ratio "$verify_pipelined" 250000)"
    printf '%-52s %12s %10s %8s\n' "TCP VERIFY request-response (32 conns)" "$verify_reqresp" "" ""
    printf '%-52s %12s %10s %8s\n' "hashing ceiling: $(nproc) cores / ${scrypt_ms} ms scrypt" "$ceiling" "" "1.00"
    printf '%-52s %12s %10s %8s\n' "POST /login" "$login_rate" "$login_p99" "$(ratio "$login_rate" "$ceiling")"
    printf '%-52s %12s %10s %8s\n' "POST /register" "$register_rate" "$register_p99" \
        "$(ratio "$register_rate" "$ceiling")"
    printf '%-52s %12s %10s %8s\n' "storm: POST /login saturated" "$storm_logins" "" ""
    printf '%-52s %12s %10s %8s\n' "line AUTH, ldap stack (per core: $(per_core "$(field line_auth)"))" \
        "$(field line_auth)" "" "1.00"
    printf '%-52s %12s %10s %8s\n' "LDAP simple bind (per core: $(per_core "$(field ldap_bind)"))" "$(field ldap_bind)" "" \
        "$(field ldap_bind_ratio)"
    printf '%-52s %12s %10s %8s\n' "RADIUS Access-Request, PAP (per core: $(per_core "$(field radius)"))" \
        "$(field radius)" "" "$(field radius_ratio)"
    printf '%-52s %12s %10s %8s\n' "LDAP search by uid, bound as a service account" "$(field ldap_search_uid)" "" ""
    printf '%-52s %12s %10s %8s\n' "POST /password/forgot (queued in the outbox; to hello)" "$(mailf forgot_rps)" \
        "$(mailf forgot_p99_ms)" "$(mailf forgot_ratio)"
    printf '%-52s %12s %10s %8s\n' "  the same, relay down (p99 ratio to relay up)" "$(mailf forgot_relay_down_rps)" \
        "$(mailf forgot_relay_down_p99_ms)" "$(mailf forgot_p99_ratio_down_to_up)"
    printf '%-52s %12s %10s %8s\n' "outbox delivery to aiosmtpd, msgs (to smtplib's)" "$(mailf delivery_per_s)" "" \
        "$(mailf delivery_ratio)"
    printf '%-52s %12s %10s %8s\n' "GET /protected DPoP-bound, a proof each (to bearer)" "$(dpopf dpop_rps)" "" \
        "$(dpopf dpop_to_bearer_rps)"
    printf '%-52s %12s %10s %8s\n' "storm: GET /protected (p99 ratio to idle)" "$storm_rps" "$storm_p99" \
        "$(ratio "$storm_p99" "$protected_p99")"
    printf '%-52s %12s %10s %8s\n' "storm: TCP VERIFY pipelined (ratio to idle)" "$storm_verify" "" \
        "$(ratio "$storm_verify" "$verify_pipelined")"
    printf '%-52s %12s %10s %8s\n' "GET /protected, $users_small users" "$small" "$small_p99" "1.00"
    printf '%-52s %12s %10s %8s\n' "GET /protected, $users_large users" "$large" "$large_p99" "$(ratio "$large" "$small")"
    printf '%-52s %12s %10s %8s\n' "authctl user import, $import_rows CSV rows (to 50,000/s)" "$import_rate" "" \
        "$(ratio "$import_rate" 50000)"
    printf '%-52s %12s\n' "  in seconds / peak RSS of authctl, MiB" "$import_seconds / $import_rss"
    for alg in HS256 EdDSA ES256; do
        read -r cached distinct_rps vcached vdistinct endpoint <<<"${signed[$alg]}"
        read -r _ _ _ _ hs_endpoint <<<"${signed[HS256]}"
        printf '%-52s %12s %10s %8s\n' "$alg GET /protected, one token" "$cached" "" "$(ratio "$cached" "$reference")"
        printf '%-52s %12s %10s %8s\n' "$alg GET /protected, $distinct distinct tokens" "$distinct_rps" "" \
            "$(ratio "$distinct_rps" "$reference")"
        printf '%-52s %12s %10s %8s\n' "$alg TCP VERIFY pipelined, one token" "$vcached" "" "$(ratio "$vcached" 250000)"
        printf '%-52s %12s %10s %8s\n' "$alg TCP VERIFY pipelined, $distinct distinct tokens" "$vdistinct" "" \
            "$(ratio "$vdistinct" 250000)"
        printf '%-52s %12s %10s %8s\n' "$alg POST /oauth2/token client credentials" "$endpoint" "" \
            "$(ratio "$endpoint" "$hs_endpoint")"
    done
    printf '%-52s %12s %10s %8s\n' "OIDC code flow, signed in (per core: $(flow code_flow_per_core))" \
        "$(flow code_flow_rps)" "" "$(ratio "$(flow code_flow_per_core)" "$ossl_rsa_sign")"
    printf '%-52s %12s\n' "  CPU µs per flow, authd / PostgreSQL" \
        "$(flow code_flow_authd_cpu_us) / $(flow code_flow_postgres_cpu_us)"
    printf '%-52s %12s %10s %8s\n' "POST /oauth2/token client credentials, per core" \
        "$(flow client_credentials_per_core)" "" "$(ratio "$(flow client_credentials_per_core)" 120)"
    printf '%-52s %12s %10s %8s\n' "POST /oauth2/introspect (per core: $(flow introspection_per_core))" \
        "$(flow introspection_rps)" "" "$(ratio "$(flow introspection_rps)" 8014)"
    printf '%-52s %12s\n' "portal sign-ins (scrypt ln=10, SSO sessions opened)" "$(flow sign_in_rps)"
    printf '%-52s %12s\n' "start to ready with $(flow users) users, ms" "$(flow ready_ms)"
    for alg in ES256 EdDSA; do
        read -r _ _ _ c4 <<<"${cpu[$alg]}"
        [ "$alg" = ES256 ] && ossl=$ossl_es256 || ossl=$ossl_eddsa
        printf '%-52s %12s %10s %8s\n' "$alg first verification, µs: authd VERIFY / openssl" \
            "$c4 / $(python3 -c "print(round(1e6 / $ossl, 1))")" "" "$(ratio "1e6 / $ossl" "$c4")"
    done
    printf '%-52s %12s\n' "RSS idle after start / after the load, MiB" "$idle_rss / $busy_rss"
    printf '%-52s %12s\n' "RSS per $(flow idle_connections) idle connections, line / HTTP, MiB" \
        "$(flow rss_idle_line_mib) / $(flow rss_idle_http_mib)"
    printf '%-52s %12s\n' "$(flow sign_ins) SSO sessions: authd RSS growth MiB / PG bytes each" \
        "$(python3 -c "print(round($(flow rss_after_sign_ins_mib) - $(flow rss_before_sign_ins_mib), 1))") / $(flow postgres_bytes_per_sso_session)"
    printf '%-52s %12s\n' "RSS after $distinct tokens and $distinct revocations, MiB" "$revoked_rss"
    printf '%-52s %12s %10s %8s\n' "CPU per request, µs (ratio: to the reference)" "" "" ""
    printf '%-52s %12s %10s %8s\n' "  reference GET /hello with the bearer header" "$cpu_reference" "" "1.00"
    printf '%-52s %12s %10s %8s\n' "  GET /protected" "$cpu_protected" "" "$(ratio "$cpu_protected" "$cpu_reference")"
    printf '%-52s %12s\n' "  TCP VERIFY pipelined" "$cpu_verify"
    for alg in HS256 EdDSA ES256; do
        read -r c1 c2 c3 c4 <<<"${cpu[$alg]}"
        printf '%-52s %12s %10s %8s\n' "  $alg GET /protected, one token / distinct" "$c1 / $c2" "" \
            "$(ratio "$c2" "$cpu_reference")"
        printf '%-52s %12s\n' "  $alg TCP VERIFY, one token / distinct" "$c3 / $c4"
    done
    printf '%-52s %12s %10s %8s\n' "instructions per request (callgrind; ratio: to the reference)" "" "" ""
    printf '%-52s %12s %10s %8s\n' "  reference GET /hello" "$ins_reference" "" "1.00"
    printf '%-52s %12s %10s %8s\n' "  reference GET /hello with the bearer header" "$ins_reference_bearer" "" \
        "$(ratio "$ins_reference_bearer" "$ins_reference")"
    printf '%-52s %12s %10s %8s\n' "  GET /protected, one token / distinct" "$ins_protected / $ins_protected_distinct" "" \
        "$(ratio "$ins_protected" "$ins_reference_bearer")"
    printf '%-52s %12s %10s %8s\n' "  TCP VERIFY request-response, one token / distinct" "$ins_verify / $ins_verify_distinct" "" ""
    echo "(ratios: to the reference, to 250,000/s, to the hashing ceiling, to line AUTH, to idle, to 1,000 users, to 50,000 rows/s, to HS256's token endpoint,"
    echo " to openssl's RSA-3072 signatures per core, to Keycloak's 120 grants per vCPU, to Hydra's 8,014/s, openssl's time to authd's)"
} | tee "$out/results.txt"
cat >"$out/results.json" <<JSON
{"date": "$(date -u +%FT%TZ)", "cores": $(nproc), "seconds": $seconds,
 "cpu": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)",
 "reference_rps": $reference, "reference_runs": [$ref1, $ref2], "reference_p99_ms": $ref1_p99,
 "reference_bearer_p99_ms": $refb1_p99,
 "reference_bearer_rps": $reference_bearer, "reference_bearer_runs": [$refb1, $refb2],
 "protected_rps": $protected, "protected_p99_ms": $protected_p99, "authz_rps": $authz,
 "verify_pipelined": $verify_pipelined, "verify_request_response": $verify_reqresp,
 "scrypt_ms": $scrypt_ms, "hashing_ceiling": $ceiling, "login_rps": $login_rate, "register_rps": $register_rate,
 "storm_login_rps": $storm_logins, "storm_protected_rps": $storm_rps, "storm_protected_p99_ms": $storm_p99,
 "storm_verify_pipelined": $storm_verify, "frontends": $frontends, "flows": $flows, "mail": $mail, "dpop": $dpop,
 "openssl_per_core": {"es256_verify": $ossl_es256, "eddsa_verify": $ossl_eddsa, "rsa3072_sign": $ossl_rsa_sign},
 "users_small": $users_small, "protected_rps_small": $small, "users_large": $users_large, "protected_rps_large": $large,
 "rss_idle_mib": $idle_rss, "rss_after_load_mib": $busy_rss, "rss_after_distinct_and_revocations_mib": $revoked_rss,
 "cpu_us_per_request": {"reference": $cpu_reference, "protected": $cpu_protected, "verify_pipelined": $cpu_verify},
 "instructions_per_request": {"reference": $ins_reference, "reference_bearer": $ins_reference_bearer,
   "protected": $ins_protected, "protected_distinct": $ins_protected_distinct,
   "verify": $ins_verify, "verify_distinct": $ins_verify_distinct},
 "import": {"rows": $import_rows, "seconds": $import_seconds, "rows_per_s": $import_rate, "peak_rss_mib": $import_rss},
 "signed": {$(for alg in HS256 EdDSA ES256; do
    read -r cached distinct_rps vcached vdistinct endpoint <<<"${signed[$alg]}"
    read -r c1 c2 c3 c4 <<<"${cpu[$alg]}"
    printf '"%s": {"protected_cached_rps": %s, "protected_distinct_rps": %s, "verify_cached": %s, "verify_distinct": %s, "token_endpoint_rps": %s, "cpu_us": {"protected_cached": %s, "protected_distinct": %s, "verify_cached": %s, "verify_distinct": %s}}' \
        "$alg" "$cached" "$distinct_rps" "$vcached" "$vdistinct" "$endpoint" "$c1" "$c2" "$c3" "$c4"
    [ "$alg" = ES256 ] || printf ', '
done), "distinct_tokens": $distinct}}
JSON
.venv/bin/python scripts/bench/plot.py "$out/results.json" "$out/results.png" >/dev/null
echo "bench: results in $out/results.txt, $out/results.json and $out/results.png" >&2
