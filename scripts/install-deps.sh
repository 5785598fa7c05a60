#!/usr/bin/env bash
# Installs, from Debian's packages, whatever authd needs to build and test that is missing:
# libpq, OpenSSL, libxcrypt, libargon2 and SQLite headers, a PostgreSQL server, pkg-config, python3 with venv (interop tests),
# chromium and chromium-driver (the browser test), Squid, Dovecot, Postfix and nginx's mail module
# (the server hook tests).
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
pkg-config --exists libxcrypt 2>/dev/null || missing+=(libcrypt-dev)
pkg-config --exists libargon2 2>/dev/null || missing+=(libargon2-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)           # network namespaces (scripts/scale/netfaults.sh)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# Tools the interop tests run to make password hashes as other systems do (legacy-import.sh).
command -v mkpasswd >/dev/null 2>&1 || missing+=(whois)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
# The browser the OpenID Connect and nginx portal tests drive (oidc-browser.sh, nginx.sh), through selenium.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# The servers the hook tests run with authd's helpers and listeners (squid.sh, dovecot.sh,
# dovecot-auth.sh, saslauthd.sh): Squid, Dovecot, Postfix, Cyrus SASL's testsaslauthd and nginx's
# mail module.
command -v squid >/dev/null 2>&1 || missing+=(squid)
command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
command -v postfix >/dev/null 2>&1 || missing+=(postfix)
command -v testsaslauthd >/dev/null 2>&1 || missing+=(sasl2-bin)
# PAM's headers for pam_authd.so (make pam), pamtester and pam_exec for the PAM tests.
[ -e /usr/include/security/pam_modules.h ] || missing+=(libpam0g-dev)
command -v pamtester >/dev/null 2>&1 || missing+=(pamtester)
compgen -G "/lib/*/security/pam_exec.so" >/dev/null || compgen -G "/usr/lib/*/security/pam_exec.so" >/dev/null \
    || missing+=(libpam-modules)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
# FreeRADIUS's radclient and pam_radius_auth, the RADIUS clients of the RADIUS test (radius.sh).
command -v radclient >/dev/null 2>&1 || missing+=(freeradius-utils)
compgen -G "/lib/*/security/pam_radius_auth.so" >/dev/null || compgen -G "/usr/lib/*/security/pam_radius_auth.so" >/dev/null \
    || missing+=(libpam-radius-auth)
# radsecproxy, the RadSec (RADIUS over TLS) client of radius.sh: radclient's UDP to TLS.
command -v radsecproxy >/dev/null 2>&1 || missing+=(radsecproxy)
# OpenLDAP's ldapsearch and ldapwhoami, python-ldap and ldap3 (Debian's packages of the PyPI
# projects), the LDAP clients of the LDAP test (ldap.sh).
command -v ldapsearch >/dev/null 2>&1 || missing+=(ldap-utils)
/usr/bin/python3 -c 'import ldap' >/dev/null 2>&1 || missing+=(python3-ldap)
/usr/bin/python3 -c 'import ldap3' >/dev/null 2>&1 || missing+=(python3-ldap3)
# Apache with mod_authnz_ldap (in Debian's apache2), the LDAP consumer of ldap.sh, and
# mod_auth_openidc, the OpenID Connect relying party of oidc-apache.sh.
[ -e /usr/lib/apache2/modules/mod_authnz_ldap.so ] || missing+=(apache2)
[ -e /usr/lib/apache2/modules/mod_auth_openidc.so ] || missing+=(libapache2-mod-auth-openidc)
# The shell scripts' linter, run by scripts/test.sh (ruff, for the Python, comes from PyPI there).
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
[ -e /usr/lib/nginx/modules/ngx_mail_module.so ] || missing+=(libnginx-mod-mail)
# Extra tools named on the command line (Debian packages of the same name), e.g. wrk for benchmarks.
for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done

if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}" >&2
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
