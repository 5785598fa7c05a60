#!/usr/bin/env bash
# Moving to authd with real tools (README, "Moving to authd"):
# - the seed Flask app itself (PyPI flask, flask-sqlalchemy, flask-jwt-extended, werkzeug) registers
#   users through its /register with werkzeug's default (scrypt) and pbkdf2:sha256 hashes;
#   `authctl user import --from-flask` reads its users.db (role and mfa_enabled columns included),
#   a second run changes nothing, and every user logs in to authd over HTTP and the line protocol
#   with the same password, after which the hash is authd's scrypt;
# - hashes made by PyPI bcrypt and passlib, mkpasswd (yescrypt, sha512crypt), htpasswd -B and PyPI
#   argon2-cffi are imported (htpasswd and JSON lines) and log in; wrong passwords are refused;
#   a malformed hash of each scheme is refused at import with its line number.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import flask_sqlalchemy, flask_jwt_extended, passlib, argon2, bcrypt; assert bcrypt.__version__.startswith("4.0")' 2>/dev/null; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'werkzeug>=3,<4' 'flask>=3,<4' \
        'flask-sqlalchemy>=3,<4' 'flask-jwt-extended>=4,<5' 'bcrypt>=4,<4.1' 'passlib>=1.7,<2' 'argon2-cffi>=23'
fi
authctl=(.build/debug/authctl)
"${authctl[@]}" migrate --config config/authd.yaml >/dev/null
psql=("$AUTHD_PG_BINDIR/psql" -q -At -v ON_ERROR_STOP=1 "$AUTHD_DATABASE_URL")
suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
seed="$interop_work/seed"
mkdir -p "$seed"

# The seed app, once with werkzeug's default and once with pbkdf2:sha256, on one users.db.
post() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$2" "$1"; }
seed_app() {
    local port
    port=$(free_port)
    SEED_DIR="$seed" SEED_HASH_METHOD="$1" .venv/bin/python scripts/interop/flask_seed_app.py "$port" \
        >>"$interop_work/seed.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    shift
    for user in "$@"; do
        expect 201 "$(post "127.0.0.1:$port/register" "{\"username\":\"$user\",\"email\":\"$user@Example.com\",\"password\":\"pw of $user\"}")" \
            "the seed app registers $user (${SEED_HASH_METHOD:-${method_name}})"
        expect 200 "$(post "127.0.0.1:$port/login" "{\"username\":\"$user\",\"password\":\"pw of $user\"}")" \
            "and logs $user in itself"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
method_name=default
seed_app "" "sa$suffix" "sb$suffix"
method_name=pbkdf2
seed_app "pbkdf2:sha256" "sc$suffix" "sd$suffix"
.venv/bin/python - "$seed/users.db" "sb$suffix" "sd$suffix" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE user SET role = 'admin' WHERE username = ?", (sys.argv[2],))
db.execute("UPDATE user SET mfa_enabled = 1 WHERE username = ?", (sys.argv[3],))
db.commit()
PY
expect "scrypt:32768:8:1 pbkdf2:sha256:1000000" \
    "$(.venv/bin/python -c 'import sqlite3,sys; print(" ".join(sorted({r[0].split("$")[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT password FROM user")}, reverse=True)))' "$seed/users.db")" \
    "users.db holds werkzeug's default and pbkdf2 hashes"

out=$("${authctl[@]}" user import --config config/authd.yaml --from-flask "$seed/users.db" 2>&1) && status=0 || status=$?
expect 0 "$status" "authctl user import --from-flask exits 0"
expect 1 "$(grep -c "4 rows: 4 imported, 0 already there, 0 skipped, 1 imported without MFA" <<<"$out")" "the report: $(tail -n 1 <<<"$out")"
expect 1 "$(grep -c "mfa_without_secret sd$suffix" <<<"$out")" "mfa_enabled without a secret is reported"
out=$("${authctl[@]}" user import --config config/authd.yaml --from-flask "$seed/users.db" 2>&1) && status=0 || status=$?
expect "0 4 rows: 0 imported, 4 already there, 0 skipped" "$status $(tail -n 1 <<<"$out")" "a second run changes nothing"
expect "admin,user" "$("${psql[@]}" -c "SELECT string_agg(role, ',' ORDER BY role) FROM user_roles JOIN users u ON u.id = user_id WHERE username = 'sb$suffix'")" \
    "the seed's role column became the account's role"
listing=$("${authctl[@]}" user list --config config/authd.yaml --hash-scheme imported 2>&1)
expect "sa$suffix werkzeug-scrypt sb$suffix werkzeug-scrypt sc$suffix werkzeug-pbkdf2 sd$suffix werkzeug-pbkdf2" \
    "$(awk -v s="$suffix" '$2 ~ s"$" {printf "%s %s ", $2, $NF}' <<<"$listing" | sed 's/ $//')" \
    "authctl user list --hash-scheme imported lists what is left to rehash, with each scheme"
expect 1 "$(grep -Ec '^[0-9]+ accounts with imported hashes$' <<<"$listing")" "and counts them: $(grep -E "accounts with" <<<"$listing")"

# authd started after the import: its census counts the imported hashes at start.
start_authd
census() {
    curl -s "127.0.0.1:$HTTP_PORT/metrics" | awk -v s="$1" '$1 == "authd_password_hashes{scheme=\""s"\"}" {print $2}'
}
for _ in $(seq 1 50); do [ -n "$(census werkzeug-scrypt)" ] && break; sleep 0.1; done
counts=$(python3 -c 'import sys; a, b = (float(v or "nan") for v in sys.argv[1:]); print("2+" if a >= 2 else a, int(b) if b == 0 else b)' \
    "$(census werkzeug-scrypt)" "$(census argon2)")
expect "2+ 0" "$counts" \
    "/metrics: authd_password_hashes counts the imported werkzeug-scrypt hashes, and argon2's series is there at 0"
for user in "sa$suffix" "sb$suffix" "sc$suffix" "sd$suffix"; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"username\":\"$user\",\"password\":\"wrong password\"}" "127.0.0.1:$HTTP_PORT/login")
    expect 401 "$status" "$user: a wrong password is refused"
done
for user in "sa$suffix" "sc$suffix"; do
    login "$user" "pw of $user" >/dev/null && echo "ok: $user logs in to authd over HTTP with the seed app's password"
done
for user in "sb$suffix" "sd$suffix"; do
    expect_status 0 "$user: AUTH over the line protocol with the seed app's password" \
        bash -c "printf '%s\n' 'pw of $user' | ${authctl[*]} auth --addr 127.0.0.1:$LINE_PORT --service ssh --user $user"
done
expect "scrypt:4" "$("${psql[@]}" -c "SELECT password_scheme || ':' || count(*) FROM users WHERE username LIKE 's_$suffix' GROUP BY password_scheme")" \
    "every imported hash was replaced by authd's scrypt at its first login"

# Hashes made by other tools.
password='legacy pw 1'
htpasswd -b -B -C 5 -c "$interop_work/htpasswd" "hb$suffix" "$password" 2>/dev/null
printf '%s:%s\n' "hx$suffix" "\$2y\$05\$short" >>"$interop_work/htpasswd"
out=$("${authctl[@]}" user import --config config/authd.yaml --format htpasswd "$interop_work/htpasswd" \
    --email-template '{username}@corp.example' 2>&1) && status=0 || status=$?
expect 1 "$status" "htpasswd with a malformed bcrypt line exits 1"
expect 1 "$(grep -c "line 2: malformed_hash hx$suffix" <<<"$out")" "and names the line: $(grep malformed <<<"$out" | head -1)"
.venv/bin/python - "$password" "$suffix" >"$interop_work/tools.jsonl" <<'PY'
import json, subprocess, sys
import argon2, bcrypt
from passlib.hash import bcrypt as passlib_bcrypt, sha512_crypt, sha256_crypt
password, suffix = sys.argv[1], sys.argv[2]
mkpasswd = lambda method: subprocess.run(["mkpasswd", "-m", method, password], check=True,
                                         capture_output=True, text=True).stdout.strip()
hashes = {
    "bc": bcrypt.hashpw(password.encode(), bcrypt.gensalt(5)).decode(),
    "pb": passlib_bcrypt.using(rounds=5).hash(password),
    "p6": sha512_crypt.using(rounds=5000).hash(password),
    "p5": sha256_crypt.using(rounds=5000).hash(password),
    "my": mkpasswd("yescrypt"),
    "m6": mkpasswd("sha512crypt"),
    "ai": argon2.PasswordHasher(memory_cost=8192, time_cost=2, parallelism=1).hash(password),
    "aj": argon2.PasswordHasher(type=argon2.Type.I, memory_cost=8192, time_cost=2, parallelism=1).hash(password),
}
for name, value in hashes.items():
    print(json.dumps({"username": name + suffix, "email": f"{name}{suffix}@example.com", "password_hash": value}))
# A broken copy of each, to be refused with its line number: six characters short, so no scheme can
# read it as a shorter but well-formed hash (five off an argon2 tag is sometimes valid base64).
for name, value in hashes.items():
    print(json.dumps({"username": "x" + name + suffix, "email": f"x{name}{suffix}@example.com", "password_hash": value[:-6]}))
PY
out=$("${authctl[@]}" user import --config config/authd.yaml --format jsonl "$interop_work/tools.jsonl" 2>&1) && status=0 || status=$?
expect 1 "$status" "JSON lines with 8 malformed hashes exits 1"
expect "9 10 11 12 13 14 15 16" "$(grep -o 'line [0-9]*: malformed_hash' <<<"$out" | awk '{print $2+0}' | tr '\n' ' ' | sed 's/ $//')" \
    "each scheme's malformed hash is refused with its line number"
expect 1 "$(grep -c "16 rows: 8 imported, 0 already there, 8 skipped (malformed_hash 8)" <<<"$out")" "the report: $(tail -n 1 <<<"$out")"
for name in bc pb p6 p5 my m6 ai aj hb; do
    user="$name$suffix"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"username\":\"$user\",\"password\":\"legacy pw 2\"}" "127.0.0.1:$HTTP_PORT/login")
    expect 401 "$status" "$user ($("${psql[@]}" -c "SELECT password_scheme FROM users WHERE username = '$user'")): a wrong password is refused"
    login "$user" "$password" >/dev/null && echo "ok: $user logs in with the tool's hash"
done
expect "scrypt:9" "$("${psql[@]}" -c "SELECT password_scheme || ':' || count(*) FROM users WHERE username ~ '^(bc|pb|p6|p5|my|m6|ai|aj|hb)$suffix\$' GROUP BY password_scheme")" \
    "and each was rehashed"

if [ "$failures" -ne 0 ]; then
    cat "$interop_work/authd.log" "$interop_work/seed.log" >&2 || true
    echo "interop: legacy import FAILED ($failures)" >&2
    exit 1
fi
echo "interop: legacy import passed"
