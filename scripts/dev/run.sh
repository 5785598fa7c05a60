#!/usr/bin/env bash
# `make run`: builds, generates a development JWT secret and MFA key once, migrates, then runs authd in the
# foreground against the PostgreSQL that scripts/with-postgres.sh started.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${AUTHD_DATABASE_URL:?run through scripts/with-postgres.sh}"

mkdir -p .dev
if [ ! -s .dev/jwt-secret ]; then
    (umask 077 && head -c 48 /dev/urandom | base64 > .dev/jwt-secret)
    echo "run: generated a development JWT secret in .dev/jwt-secret" >&2
fi
export AUTHD_JWT_SECRET_FILE="$PWD/.dev/jwt-secret"
if [ ! -s .dev/mfa-key ]; then
    (umask 077 && head -c 48 /dev/urandom | base64 > .dev/mfa-key)
    echo "run: generated a development MFA key in .dev/mfa-key" >&2
fi
export AUTHD_MFA_KEY_FILE="$PWD/.dev/mfa-key"
# For authctl in a second terminal (README: Administration); the cluster and its password go away
# when `make run` ends.
(umask 077 && printf '%s\n' "$AUTHD_DATABASE_URL" > .dev/database-url)

swift build
.build/debug/authctl migrate --config config/authd.yaml
exec .build/debug/authd --config config/authd.yaml
