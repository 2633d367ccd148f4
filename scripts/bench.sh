#!/usr/bin/env bash
# The operations benchmark: builds in release mode and prints, in one run, signed-in page
# throughput and p50/p99 at 64 connections next to a bare route, the login round trip, and
# resident memory with 10,000 sessions in SQLite. Loopback only; bounded in time.
# Knobs: BENCH_CONNS (64), BENCH_SECS (5 per page), BENCH_LOGINS (64), BENCH_SESSIONS (10000).
set -euo pipefail
cd "$(dirname "$0")/.."
# Quiet logs: the figures are the output (sqlx warns about slow statements on a busy disk).
RUST_LOG="${RUST_LOG:-error}" exec cargo bench --locked --bench ops "$@"
