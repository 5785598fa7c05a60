#!/usr/bin/env bash
# Runs the whole test suite against the PostgreSQL that scripts/with-postgres.sh started:
# format lint, swift test, then the interop scripts against real authd processes.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${AUTHD_DATABASE_URL:?run through scripts/with-postgres.sh}"
export AUTHD_TEST_DATABASE_URL="$AUTHD_DATABASE_URL"

swift format lint --strict --recursive Sources Tests Fuzz Package.swift
# The scripts are code too: shellcheck for the shell, ruff (ruff.toml) for the Python.
shellcheck -x scripts/*.sh scripts/*/*.sh .ci/run
if [ ! -x .venv/bin/ruff ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'ruff>=0.6,<1'
fi
.venv/bin/ruff check scripts
swift build --build-tests
# At most eight tests at once: unbounded, a hundred suites on two cores starved each other (a PING
# to an in-process line server once went unanswered for 10 s); with eight the run is no slower.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=8
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The tests that measure time (revocation reaching a second daemon within 1 s, unknown user and
# wrong password within 10 %) run in a second pass on their own: in the first, with a hundred
# suites side by side on two cores, the machine's load rather than authd decided them.
timed='IntegrationTests\.TwoDaemonsTests|AuthCoreTests\.StackIntegrationTests/timing\(\)|AuthHTTPTests\.PasswordResetTests/timing\(\)'

# swift_pass ARGS...: runs swift test; on failure repeats, as the last lines (CI keeps only the
# tail of the output), which tests failed and where.
swift_pass() {
    if ! swift test --skip-build "$@" 2>&1 | tee "$log"; then
        echo "--- swift test failed; the failing tests and their issues:"
        grep -E '✘|recorded an issue|Expectation failed|Caught error|error:' "$log" | grep -v 'Test run with' | tail -n 40
        exit 1
    fi
}
passed() { sed -n 's/.*Test run with \([0-9]*\) tests.* passed.*/\1/p' "$log" | tail -n 1; }
swift_pass --skip "$timed"
swift_tests=$(passed)
swift_pass --filter "$timed"
swift_tests=$((swift_tests + $(passed)))

interop=(
    scripts/interop/pyjwt.sh scripts/interop/authlib.sh scripts/interop/werkzeug.sh scripts/interop/legacy-import.sh
    scripts/interop/authctl.sh
    scripts/interop/admin.sh
    scripts/interop/two-daemons.sh
    scripts/interop/revocation-outage.sh scripts/interop/totp.sh scripts/interop/operations.sh
    scripts/interop/shutdown.sh scripts/interop/nginx.sh scripts/interop/systemd.sh scripts/interop/openapi.sh
    scripts/interop/faults.sh scripts/interop/ha.sh scripts/interop/line-flood.sh scripts/interop/oidc-browser.sh
    scripts/interop/oidc-apache.sh
    scripts/interop/squid.sh scripts/interop/dovecot.sh scripts/interop/dovecot-auth.sh scripts/interop/saslauthd.sh
    scripts/interop/postfix-policy.sh scripts/interop/radius.sh scripts/interop/ldap.sh scripts/interop/mail.sh scripts/interop/mail-postfix.sh scripts/scale/eight.sh scripts/scale/pgbouncer.sh scripts/scale/netfaults.sh
    scripts/scale/hostile.sh
)
# Each script's checks print "ok: …" (shell and Python alike) and any failure fails the script;
# a script counts its checks, or one if it prints none.
out=$(mktemp)
trap 'rm -f "$log" "$out"' EXIT
# The shared database migrated once before any script starts a daemon: the first daemon would
# otherwise migrate it while its script already asks it to serve (503 until it has).
.build/debug/authctl migrate --config config/authd.yaml >/dev/null
checks=0
for script in "${interop[@]}"; do
    "$script" | tee "$out"
    found=$(grep -c '^ok: ' "$out" || true)
    echo "$script: ${found} checks passed"
    checks=$((checks + (found > 0 ? found : 1)))
done

# One closing line for everything: Swift Testing's tests plus the interop scripts' checks.
echo "tests: $((${swift_tests:-0} + checks)) passed (${swift_tests:-0} Swift tests, $checks interop checks in ${#interop[@]} scripts), 0 failed"
