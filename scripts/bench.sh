#!/usr/bin/env bash
# Benchmarks bookings through the API of a release build beside pgbench on the same database,
# in one run, and prints a table. Pass arguments through, e.g. `scripts/bench.sh --seconds 20`.
# The table's recorder row comes from the recorder's own benchmark, run first against
# LocalStack's S3 (two calls, four 640x480 30 fps publications, ARRETA_BENCH_SECONDS, 30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

apt_install build-essential pkg-config ca-certificates wrk python3 python3-venv "${GSTREAMER_PACKAGES[@]}"
require_rust
ensure_postgres
export ARRETA_TEST_POSTGRES="postgres://postgres@$PG_HOST:$PG_PORT"
cargo build --release --locked -p api --bin arreta -p tests --bin arreta-bench
cargo build --release --locked -p media-recorder --bin arreta-recorder

echo "==> the recorder's benchmark (LocalStack's S3)"
trap stop_localstack EXIT
start_localstack
figures="$PWD/target/bench-recorder.json"
rm -f "$figures"
ARRETA_BENCH_RECORDER_OUT="$figures" \
    cargo test --release --locked -p tests --test recording -- --ignored --nocapture measure
stop_localstack
trap - EXIT

ARRETA_BENCH_RECORDER_FILE="$figures" exec target/release/arreta-bench "$@"
