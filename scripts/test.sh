#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine or a developer's: installs what is missing,
# starts PostgreSQL where none answers and LocalStack's S3 (Object Lock; on Debian's Python 3.11, see
# scripts/localstack.sh), then checks formatting, lints and runs the whole suite against the real
# services.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

apt_install build-essential pkg-config ca-certificates libssl-dev python3 python3-venv openssl \
    "${GSTREAMER_PACKAGES[@]}"
require_rust
ensure_postgres
drop_stale_test_databases
export ARRETA_TEST_POSTGRES="postgres://postgres@$PG_HOST:$PG_PORT"
trap stop_localstack EXIT
start_localstack
echo "==> the tests' SMTP server (aiosmtpd)"
bash scripts/smtp-sink.sh --install
export ARRETA_TEST_SMTP_SINK="$PWD/scripts/smtp-sink.sh"

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> openapi/openapi.json is current"
cargo run --quiet --locked -p openapi -- --check
echo "==> cargo build (the arreta binary the crash tests start)"
cargo build --workspace --bins --locked
echo "==> cargo test"
cargo test --workspace --locked
echo "==> schemathesis against the running server"
bash scripts/fuzz-api.sh
bash scripts/browser-tests.sh
