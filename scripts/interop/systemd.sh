#!/usr/bin/env bash
# config/authd.service passes `systemd-analyze verify` without a single warning (ExecStart pointed
# at the built authd, since verify checks that it exists) and `systemd-analyze security` rates its
# exposure at 2.0 or better. Skipped, saying so, where systemd-analyze is not installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "interop: systemd checks skipped (no systemd-analyze on this machine)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/authd|$PWD/.build/debug/authd|" config/authd.service >"$work/authd.service"

if output=$(systemd-analyze verify "$work/authd.service" 2>&1) && [ -z "$output" ]; then
    echo "ok: systemd-analyze verify is clean"
else
    echo "FAIL: systemd-analyze verify: $output" >&2
    exit 1
fi
exposure=$(systemd-analyze security --offline=yes "$work/authd.service" 2>&1 |
    sed -n 's/.*Overall exposure level for authd.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
    echo "ok: systemd-analyze security exposure $exposure (2.0 or better)"
else
    echo "FAIL: systemd-analyze security exposure '${exposure}'" >&2
    exit 1
fi
echo "interop: systemd unit checks passed"
