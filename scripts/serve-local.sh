#!/usr/bin/env bash
# Runs the service on local defaults on a fresh Debian 12 machine or a developer's: installs what
# is missing, starts PostgreSQL where none answers, migrates (creating the database), starts the
# recorder (`arreta-recorder`, WHIP on http://127.0.0.1:8090/whip) in the background, then
# `arreta serve` on http://127.0.0.1:8080. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

apt_install build-essential pkg-config ca-certificates libssl-dev "${GSTREAMER_PACKAGES[@]}"
require_rust
ensure_postgres
cargo build --release --locked -p api --bin arreta -p media-recorder --bin arreta-recorder
target/release/arreta migrate
target/release/arreta-recorder &
recorder=$!
trap 'kill -INT "$recorder" 2>/dev/null || true' EXIT
target/release/arreta serve
