#!/usr/bin/env bash
# Hashes made by the Flask seed's own library: PyPI werkzeug's generate_password_hash (its default
# scrypt, and pbkdf2:sha256 and pbkdf2:sha512) stored as they came, then a login to authd over
# HTTP and over the line protocol with the same password; a wrong password is refused and changes
# nothing; the first match replaces the hash with authd's scrypt PHC string.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/lib.sh

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import werkzeug' 2>/dev/null; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'werkzeug>=3,<4'
fi
.build/debug/authctl migrate --config config/authd.yaml >/dev/null
start_authd
psql=("$AUTHD_PG_BINDIR/psql" -q -At -v ON_ERROR_STOP=1 "$AUTHD_DATABASE_URL")
suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
password='seed app password 1'
for method in scrypt pbkdf2:sha256 pbkdf2:sha512; do
    user="wz${method//[:]/}$suffix"
    hash=$(.venv/bin/python -c 'import sys; from werkzeug.security import generate_password_hash as g
print(g(sys.argv[1], method=sys.argv[2]))' "$password" "$method")
    "${psql[@]}" -c "WITH u AS (INSERT INTO users (username, email, password_hash)
                     VALUES ('$user', '$user@example.com', '$hash') RETURNING id)
                     INSERT INTO user_roles (user_id, role) SELECT id, 'user' FROM u"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"username\":\"$user\",\"password\":\"wrong password 1\"}" "127.0.0.1:$HTTP_PORT/login")
    if [ "$status" = 401 ]; then
        echo "ok: $method: a wrong password is 401"
    else
        echo "FAIL: $method: wrong password got $status" >&2
        failures=$((failures + 1))
    fi
    if [ "$("${psql[@]}" -c "SELECT password_hash FROM users WHERE username = '$user'")" = "$hash" ]; then
        echo "ok: $method: and leaves the hash as it came"
    else
        echo "FAIL: $method: a failed login changed the hash" >&2
        failures=$((failures + 1))
    fi
    expect_status 0 "$method: AUTH over the line protocol with werkzeug's hash" \
        bash -c "printf '%s\n' '$password' | .build/debug/authctl auth --addr 127.0.0.1:$LINE_PORT --service ssh --user $user"
    stored=$("${psql[@]}" -c "SELECT password_hash FROM users WHERE username = '$user'")
    if [[ "$stored" == "\$scrypt\$"* ]]; then
        echo "ok: $method: the first match rehashed it (\$scrypt\$…)"
    else
        echo "FAIL: $method: still $stored" >&2
        failures=$((failures + 1))
    fi
    login "$user" "$password" >/dev/null && echo "ok: $method: HTTP login with the same password afterwards"
done
if [ "$failures" -ne 0 ]; then
    cat "$interop_work/authd.log" >&2
    echo "interop: werkzeug hashes FAILED ($failures)" >&2
    exit 1
fi
echo "interop: werkzeug hashes passed"
