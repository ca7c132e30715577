#!/usr/bin/env bash
# Runs the service on local defaults on a fresh Debian 12 machine or a developer's: installs what
# is missing, starts PostgreSQL where none answers, then `arreta serve` (which creates its
# database and applies migrations) on http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

apt_install build-essential pkg-config ca-certificates libssl-dev
require_rust
ensure_postgres
cargo build --release --locked -p api --bin arreta
exec target/release/arreta serve
