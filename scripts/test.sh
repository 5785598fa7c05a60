#!/usr/bin/env bash
# Runs the whole test suite against the PostgreSQL that scripts/with-postgres.sh started.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${AUTHD_DATABASE_URL:?run through scripts/with-postgres.sh}"
export AUTHD_TEST_DATABASE_URL="$AUTHD_DATABASE_URL"

swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
swift test --skip-build
scripts/interop/pyjwt.sh
scripts/interop/authctl.sh
scripts/interop/two-daemons.sh
