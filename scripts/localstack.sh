#!/usr/bin/env bash
# LocalStack's S3 on this machine, without Docker: the real S3 server with Object Lock that the
# tests run against (moto cannot prove retention: it accepts shortened retention and ignores lock
# headers on multipart uploads).
#
#   scripts/localstack.sh install      make .venv-localstack (only when missing or when
#                                      scripts/localstack-requirements.txt changed)
#   scripts/localstack.sh run [PORT]   install, then run S3 in the foreground on 127.0.0.1:PORT
#                                      (default 4566) until SIGINT (Ctrl-C)
#
# LocalStack 4.13.1 (`localstack-core`, pinned with every dependency in
# scripts/localstack-requirements.txt: 4.14 and later fail on Python 3.11, newer cbor2 and pyopenssl
# break it) runs on Debian 12's own Python 3.11, `/usr/bin/python3` (packages python3 and
# python3-venv); ARRETA_LOCALSTACK_PYTHON names another Python (3.11 or newer) instead. Without one
# the script stops with an error: the retention tests are never skipped silently.
#
# It runs through scripts/localstack-launcher.py, which fixes LocalStack's SIGINT shutdown (it
# sometimes hung) without touching the installed packages.
#
# It keeps nothing across restarts: every run starts with no buckets.
# scripts/test.sh starts it in the background through `start_localstack` (scripts/lib.sh).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
REQUIREMENTS="$SCRIPT_DIR/localstack-requirements.txt"
LAUNCHER="$SCRIPT_DIR/localstack-launcher.py"
VENV="$ROOT/.venv-localstack"
SYSTEM_PYTHON=/usr/bin/python3
STAMP="$VENV/.arreta-requirements.sha256"

die() {
    echo "localstack.sh: error: $*" >&2
    exit 1
}

python_ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' >/dev/null 2>&1
}

venv_healthy() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import localstack.runtime.main, localstack.runtime.server.hypercorn' >/dev/null 2>&1
}

ensure_venv() {
    [ -f "$REQUIREMENTS" ] || die "missing $REQUIREMENTS"
    local wanted python
    wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && venv_healthy; then
        return 0
    fi
    # Debian's own Python, never the first python3 on PATH (which may be a pyenv shim).
    python="${ARRETA_LOCALSTACK_PYTHON:-$SYSTEM_PYTHON}"
    if ! python_ok "$python"; then
        if [ -n "${ARRETA_LOCALSTACK_PYTHON:-}" ]; then
            die "ARRETA_LOCALSTACK_PYTHON=$ARRETA_LOCALSTACK_PYTHON is not a Python 3.11 or newer with the venv and ensurepip modules"
        fi
        die "LocalStack's S3 (the object-storage tests' server) needs Debian's Python 3.11 with venv ($SYSTEM_PYTHON; \`apt-get install python3 python3-venv\`) or ARRETA_LOCALSTACK_PYTHON set to a Python 3.11 or newer. The tests are not run without it."
    fi
    if [ -e "$VENV" ]; then
        [ -f "$VENV/pyvenv.cfg" ] || die "$VENV exists but is not a virtualenv; move it away and run again"
        echo "==> $REQUIREMENTS changed (or the virtualenv is broken): rebuilding $VENV"
        rm -rf "$VENV"
    fi
    echo "==> creating $VENV with $("$python" --version 2>&1) ($python)"
    "$python" -m venv "$VENV" || die "could not create the virtualenv $VENV with $python"
    echo "==> installing LocalStack from $REQUIREMENTS"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
        --require-virtualenv -r "$REQUIREMENTS"; then
        rm -rf "$VENV"
        die "pip install -r $REQUIREMENTS failed (is PyPI reachable?)"
    fi
    venv_healthy || die "LocalStack does not import in $VENV after installing"
    echo "$wanted" >"$STAMP"
}

locked_ensure_venv() {
    # Two runs at once must not build the same virtualenv together.
    if command -v flock >/dev/null 2>&1; then
        local lock_file
        lock_file="${TMPDIR:-/tmp}/arreta-localstack-venv-$(printf '%s' "$VENV" | sha256sum | cut -c1-12).lock"
        exec 9>"$lock_file"
        flock 9
        ensure_venv
        flock -u 9
        exec 9>&-
    else
        ensure_venv
    fi
}

case "${1:-}" in
    install)
        locked_ensure_venv
        ;;
    run)
        port="${2:-4566}"
        [[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
        locked_ensure_venv
        # Its state (nothing that outlives the run) goes to a directory of its own.
        state_dir="${ARRETA_LOCALSTACK_STATE_DIR:-${TMPDIR:-/tmp}/arreta-localstack-$port}"
        mkdir -p "$state_dir"
        cd "$state_dir"
        # SIGINT is how LocalStack stops (SIGTERM does not stop it reliably); the launcher gives
        # SIGINT back its meaning (a background job starts with it ignored) and fixes the shutdown.
        exec env GATEWAY_SERVER=hypercorn GATEWAY_LISTEN="127.0.0.1:$port" SERVICES=s3 \
            EAGER_SERVICE_LOADING=1 DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 \
            S3_SKIP_SIGNATURE_VALIDATION=0 \
            LOCALSTACK_VOLUME_DIR="$state_dir/volume" FILESYSTEM_ROOT="$state_dir/filesystem" \
            "$VENV/bin/python" "$LAUNCHER"
        ;;
    -h | --help | "")
        sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        [ -n "${1:-}" ]
        ;;
    *)
        die "unknown command '$1' (install or run)"
        ;;
esac
