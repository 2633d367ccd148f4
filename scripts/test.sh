#!/usr/bin/env bash
# Runs every test. Installs and starts what the tests need when it is missing:
#   - PostgreSQL (the scale-out session store is tested against a real server).
#   - Chromium, chromedriver (Debian) and the npm packages of tests/e2e (the browser
#     end-to-end test against a real OpenID provider, tests/it/browser_e2e.rs).
#   - aiosmtpd (PyPI): the SMTP server the alert tests send email to (tests/it/alerts.rs).
# Usage: ./scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL -------------------------------------------------------------------------
PG_DB=fv_partner_app_test
ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "test.sh: installing PostgreSQL from Debian's packages"
    apt_install postgresql
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    echo "test.sh: starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  # Trust auth on loopback (the rust-svc machines) or a password we set over the socket.
  if psql "postgres://postgres@127.0.0.1:5432/postgres" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    PG_URL_BASE="postgres://postgres@127.0.0.1:5432"
  else
    $SUDO runuser -u postgres -- psql -qtAc "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
    PG_URL_BASE="postgres://postgres:postgres@127.0.0.1:5432"
  fi
  # A new database each run: rows a crashed earlier run left behind must not meet this one.
  psql "$PG_URL_BASE/postgres" -qtAc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
  psql "$PG_URL_BASE/postgres" -qtAc "CREATE DATABASE $PG_DB" >/dev/null
  # The suite runs its PostgreSQL tests side by side (replicas, private databases, listeners):
  # Debian's default of 100 connections can run out, so ask for room once.
  if [ "$(psql "$PG_URL_BASE/postgres" -qtAc 'SHOW max_connections')" -lt 300 ]; then
    echo "test.sh: raising PostgreSQL's max_connections to 300 (restarts the server)"
    psql "$PG_URL_BASE/postgres" -qtAc 'ALTER SYSTEM SET max_connections = 300' >/dev/null
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  export FV_TEST_DATABASE_URL="$PG_URL_BASE/$PG_DB"
}

ensure_postgres
echo "test.sh: PostgreSQL ready at ${FV_TEST_DATABASE_URL%%@*}@…"

# --- Browser end-to-end test ------------------------------------------------------------
ensure_browser_e2e() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "test.sh: installing Chromium and chromedriver from Debian's packages"
    apt_install chromium chromium-driver
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "test.sh: installing Node.js from Debian's packages"
    apt_install nodejs npm
  fi
  # `npm ci` again only when the lock file changed since the last install.
  local stamp=tests/e2e/node_modules/.fv-installed-lock
  if ! cmp -s tests/e2e/package-lock.json "$stamp" 2>/dev/null; then
    echo "test.sh: installing the e2e provider's npm packages (npm ci in tests/e2e)"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
    cp tests/e2e/package-lock.json "$stamp"
  fi
}

ensure_browser_e2e
mkdir -p target/e2e-screenshots
echo "test.sh: browser e2e ready (screenshots go to target/e2e-screenshots/)"

# --- Alert email ------------------------------------------------------------------------
# tests/it/alerts.rs sends alert email to a real SMTP server: aiosmtpd from PyPI.
ensure_aiosmtpd() {
  if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    echo "test.sh: installing aiosmtpd (python3 -m pip install --user aiosmtpd)"
    python3 -m pip install --user --quiet --disable-pip-version-check aiosmtpd
  fi
}

ensure_aiosmtpd

# One build, every test from it. Incremental artifacts only cost disk in a one-off build.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# cargo prints one "test result:" line per test binary, the benchmarks' figures come last:
# keep its output, and end with the totals over every binary. `pipefail` keeps cargo's exit
# status through the `tee`.
log="target/test-output.log"
status=0
cargo test --locked --workspace --all-targets --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ {
       for (i = 1; i <= NF; i++) {
         if ($(i) ~ /^passed;?$/) passed += $(i - 1)
         if ($(i) ~ /^failed;?$/) failed += $(i - 1)
         if ($(i) ~ /^ignored;?$/) ignored += $(i - 1)
       }
       binaries++
     }
     END {
       total = "\ntest.sh: %d passed, %d failed, %d ignored in %d test binaries (full output in %s)\n"
       printf total, passed, failed, ignored, binaries, file
     }' file="$log" "$log"
if [ "$status" != 0 ]; then
  echo "test.sh: FAILED (cargo exited with $status)"
fi
exit "$status"
