#!/usr/bin/env bash
# The call's browser tests (tests/browser, pytest + Playwright): Debian's Chromium with fake camera
# and microphone drives the real join and clerk pages against `arreta serve` processes, the
# `arreta-recorder`, coturn, PostgreSQL and LocalStack's S3; the recordings are checked with
# GStreamer's discoverer and the S3 API.
#
#   scripts/browser-tests.sh [PYTEST ARGS...]    e.g. -k relay, or -x
#
# Installs what is missing (apt: chromium, coturn, fonts, GStreamer; PyPI: the pins in
# tests/browser/requirements.txt into .venv-browser, built with Debian's /usr/bin/python3 and
# rebuilt only when that file changes). No browser is downloaded: Playwright's own driver (in its
# wheel) launches /usr/bin/chromium. Uses ARRETA_TEST_POSTGRES and ARRETA_TEST_S3_ENDPOINT when
# set (scripts/test.sh sets both); otherwise it makes sure PostgreSQL answers and starts (and
# stops) LocalStack's S3 itself. Builds the binaries it starts (cargo build --bins --locked).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

REQUIREMENTS="$ROOT/tests/browser/requirements.txt"
VENV="$ROOT/.venv-browser"
STAMP="$VENV/.arreta-requirements.sha256"
PYTHON=/usr/bin/python3

apt_install chromium coturn fonts-dejavu-core python3 python3-venv postgresql-client \
    "${GSTREAMER_PACKAGES[@]}"
for _ in $(seq 1 600); do [ -x /usr/bin/chromium ] && break; sleep 1; done
[ -x /usr/bin/chromium ] || { echo "error: /usr/bin/chromium is missing after installing chromium" >&2; exit 1; }

venv_healthy() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c 'import playwright.sync_api, pytest, pytest_timeout, axe_playwright_python, boto3' >/dev/null 2>&1
}

ensure_venv() {
    local wanted
    wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && venv_healthy; then
        return 0
    fi
    if [ -e "$VENV" ]; then
        [ -f "$VENV/pyvenv.cfg" ] || { echo "error: $VENV exists but is not a virtualenv; move it away" >&2; exit 1; }
        echo "==> $REQUIREMENTS changed (or the virtualenv is broken): rebuilding $VENV"
        rm -rf "$VENV"
    fi
    echo "==> creating $VENV with $("$PYTHON" --version 2>&1) ($PYTHON)"
    "$PYTHON" -m venv "$VENV"
    echo "==> installing the browser tests' packages from $REQUIREMENTS"
    # Every dependency is pinned in the file: --no-deps keeps pip from bringing anything else,
    # and pip check proves the set is complete.
    if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$VENV/bin/python" -m pip install --disable-pip-version-check \
        --no-input --quiet --require-virtualenv --no-deps -r "$REQUIREMENTS" ||
        ! "$VENV/bin/python" -m pip check; then
        rm -rf "$VENV"
        echo "error: pip install -r $REQUIREMENTS failed (is PyPI reachable?)" >&2
        exit 1
    fi
    venv_healthy || { echo "error: the browser tests' packages do not import in $VENV" >&2; exit 1; }
    echo "$wanted" >"$STAMP"
}

if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/arreta-browser-venv-$(printf '%s' "$VENV" | sha256sum | cut -c1-12).lock"
    flock 9
    ensure_venv
    flock -u 9
    exec 9>&-
else
    ensure_venv
fi

if [ -z "${ARRETA_TEST_POSTGRES:-}" ]; then
    ensure_postgres
    export ARRETA_TEST_POSTGRES="postgres://postgres@$PG_HOST:$PG_PORT"
fi
if [ -z "${ARRETA_TEST_S3_ENDPOINT:-}" ]; then
    trap stop_localstack EXIT
    start_localstack
fi

require_rust
echo "==> cargo build --bins (arreta, arreta-recorder)"
cargo build --bins --locked

echo "==> browser tests (Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export ARRETA_BROWSER_TARGET="$ROOT/target/debug"
status=0
# `browser-tests.sh bench [ARGS]` runs the recorder's browser benchmark instead of the tests.
if [ "${1:-}" = "bench" ]; then
    shift
    set -- tests/browser/bench_recorder.py -s "$@"
else
    set -- tests/browser "$@"
fi
"$VENV/bin/python" -m pytest -q "$@" || status=$?
exit "$status"
