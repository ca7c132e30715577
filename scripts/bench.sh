#!/usr/bin/env bash
# Benchmarks bookings through the API of a release build beside pgbench on the same database,
# in one run, and prints a table. Pass arguments through, e.g. `scripts/bench.sh --seconds 20`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

apt_install build-essential pkg-config ca-certificates wrk
require_rust
ensure_postgres
export ARRETA_TEST_POSTGRES="postgres://postgres@$PG_HOST:$PG_PORT"
cargo build --release --locked -p api --bin arreta -p tests --bin arreta-bench
exec target/release/arreta-bench "$@"
