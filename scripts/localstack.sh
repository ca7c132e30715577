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
# LocalStack 4.14 (`localstack-core`, pinned with every dependency in
# scripts/localstack-requirements.txt: newer cbor2 and pyopenssl break it) needs Python 3.13.
# It is looked for in ARRETA_LOCALSTACK_PYTHON, then `python3.13` on PATH, then pyenv's versions
# (~/.pyenv/versions/3.13.*). Without one the script stops with an error: the retention tests
# are never skipped silently.
#
# It keeps nothing across restarts: every run starts with no buckets.
# scripts/test.sh starts it in the background through `start_localstack` (scripts/lib.sh).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
REQUIREMENTS="$SCRIPT_DIR/localstack-requirements.txt"
VENV="$ROOT/.venv-localstack"
STAMP="$VENV/.arreta-requirements.sha256"

die() {
    echo "localstack.sh: error: $*" >&2
    exit 1
}

python_ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate
    if [ -n "${ARRETA_LOCALSTACK_PYTHON:-}" ]; then
        echo "$ARRETA_LOCALSTACK_PYTHON"
        return 0
    fi
    # A pyenv shim on PATH may exist and still fail (3.13 not selected): python_ok runs it.
    if command -v python3.13 >/dev/null 2>&1 && python_ok python3.13; then
        echo python3.13
        return 0
    fi
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    for candidate in "$pyenv_root"/versions/3.13*/bin/python3.13 "$pyenv_root"/versions/3.13*/bin/python3; do
        [ -x "$candidate" ] && python_ok "$candidate" && { echo "$candidate"; return 0; }
    done
    return 1
}

venv_healthy() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import localstack.runtime.main' >/dev/null 2>&1
}

ensure_venv() {
    [ -f "$REQUIREMENTS" ] || die "missing $REQUIREMENTS"
    local wanted python
    wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && venv_healthy; then
        return 0
    fi
    if [ -n "${ARRETA_LOCALSTACK_PYTHON:-}" ] && ! python_ok "$ARRETA_LOCALSTACK_PYTHON"; then
        die "ARRETA_LOCALSTACK_PYTHON=$ARRETA_LOCALSTACK_PYTHON is not a Python 3.13 with the venv and ensurepip modules"
    fi
    python=$(find_python) ||
        die "LocalStack's S3 (the object-storage tests' server) needs Python 3.13 and none was found: install it (e.g. \`pyenv install 3.13\`) or set ARRETA_LOCALSTACK_PYTHON to one. The tests are not run without it."
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
        # A background job of a non-interactive shell starts with SIGINT ignored, and Python then
        # never turns SIGINT into KeyboardInterrupt: give SIGINT its default meaning back, since
        # SIGINT is how LocalStack stops (SIGTERM does not stop it reliably).
        exec env GATEWAY_SERVER=hypercorn GATEWAY_LISTEN="127.0.0.1:$port" SERVICES=s3 \
            EAGER_SERVICE_LOADING=1 DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 \
            S3_SKIP_SIGNATURE_VALIDATION=0 \
            LOCALSTACK_VOLUME_DIR="$state_dir/volume" FILESYSTEM_ROOT="$state_dir/filesystem" \
            "$VENV/bin/python" -c '
import runpy, signal
signal.signal(signal.SIGINT, signal.default_int_handler)
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
'
        ;;
    -h | --help | "")
        sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        [ -n "${1:-}" ]
        ;;
    *)
        die "unknown command '$1' (install or run)"
        ;;
esac
