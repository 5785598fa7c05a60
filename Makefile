# The two commands: `make run` and `make test`. Both install what is missing, start a private
# throwaway PostgreSQL and remove it when they end.
.PHONY: run test bench fuzz build deps lint pam soak

deps:
	@scripts/install-deps.sh

build: deps
	swift build

run: deps
	scripts/with-postgres.sh scripts/dev/run.sh

test: deps
	scripts/with-postgres.sh scripts/test.sh

# Release builds and loopback load, a few minutes once built: a table with ratios to a bare
# Hummingbird route measured in the same run (scripts/bench/run.sh).
bench: deps
	scripts/bench/run.sh

# libFuzzer with AddressSanitizer on the line-protocol parser, JWT verification and the PHC parser,
# FUZZ_SECONDS (60) each (scripts/fuzz.sh).
fuzz: deps
	scripts/fuzz.sh

lint:
	swift format lint --strict --recursive Sources Tests Fuzz Package.swift

# A long run under a steady mixed load: RSS, file descriptors, database connections and p99 every
# 10 s into docs/soak.csv and docs/soak.png; fails on growth (scripts/scale/soak.sh). SOAK_MINUTES=30.
soak: deps
	scripts/scale/soak.sh

# The PAM module that holds the conversation (password and one-time code) and asks authd through
# authctl: .build/pam_authd.so (config/pam.d/sshd-authd).
pam: deps
	@mkdir -p .build
	cc -shared -fPIC -O2 -Wall -Wextra -Werror -o .build/pam_authd.so pam/pam_authd.c -lpam
