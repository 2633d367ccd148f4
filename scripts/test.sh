#!/usr/bin/env bash
# Runs every test. Installs and starts what the tests need when it is missing:
#   - PostgreSQL (the scale-out session store is tested against a real server).
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
  if [ "$(psql "$PG_URL_BASE/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname='$PG_DB'")" != 1 ]; then
    psql "$PG_URL_BASE/postgres" -qtAc "CREATE DATABASE $PG_DB" >/dev/null
  fi
  export FV_TEST_DATABASE_URL="$PG_URL_BASE/$PG_DB"
}

ensure_postgres
echo "test.sh: PostgreSQL ready at ${FV_TEST_DATABASE_URL%%@*}@…"

# One build, every test from it.
cargo test --locked --all-targets "$@"
