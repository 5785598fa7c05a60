#!/usr/bin/env bash
# Bulk import (#18): `authctl user import --format csv` of ROWS (1,000,000) pre-hashed accounts
# (bcrypt, as an htpasswd or a PHP app would hand them over; each row's hash is parsed, nothing is
# hashed), release build. Prints one line on standard output: "ROWS SECONDS ROWS_PER_S PEAK_RSS_MIB"
# (peak RSS of authctl, from GNU time). Part of `make bench`; alone: scripts/bench/import.sh [ROWS].
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AUTHD_DATABASE_URL:-}" ]; then exec scripts/with-postgres.sh "$0" "$@"; fi
rows=${1:-1000000}
out=.build/bench
mkdir -p "$out"
swift build -c release --product authctl >/dev/null
authctl="$(swift build -c release --show-bin-path)/authctl"
"$authctl" migrate --config config/authd.yaml >/dev/null

csv="$out/import-$rows.csv"
prefix="imp$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
python3 - "$rows" "$prefix" >"$csv" <<'PY'
import sys
rows, prefix = int(sys.argv[1]), sys.argv[2]
# PyPI bcrypt's hash of "correct horse" at cost 5 (Tests/AuthTestSupport/ImportedHashVectors.swift).
hash = "$2b$05$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvfYHS"
out = sys.stdout
out.write("username,email,password_hash,roles\n")
for i in range(rows):
    out.write(f"{prefix}-{i},{prefix}-{i}@example.com,{hash},user\n")
PY
/usr/bin/time -f '%e %M %U %S' -o "$out/import-time" "$authctl" user import --config config/authd.yaml --format csv "$csv" \
    >"$out/import-report" 2>"$out/import-progress"
rm -f "$csv"
read -r seconds peak_kib cpu_user cpu_system <"$out/import-time"
echo "import: authctl CPU ${cpu_user} s user, ${cpu_system} s system" >&2
grep -q "^$rows rows: $rows imported" "$out/import-report" || { cat "$out/import-report" "$out/import-progress" >&2; exit 1; }
python3 -c 'import sys; r, s, k = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]); print(r, s, round(r / s), f"{k / 1024:.1f}")' \
    "$rows" "$seconds" "$peak_kib"
