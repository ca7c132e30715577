#!/usr/bin/env bash
# Runs the tests' SMTP server (scripts/smtp_sink.py, aiosmtpd pinned in
# scripts/smtp-sink-requirements.txt) from its own virtualenv, .venv-smtp at the repository root,
# made on the first run and again only when the pins change.
#
#   scripts/smtp-sink.sh --install           only make sure the virtualenv is ready
#   scripts/smtp-sink.sh --port PORT --dir DIR [--delay-rcpt S] [--fail-first N]
#
# scripts/test.sh runs --install, then hands this script to the tests (ARRETA_TEST_SMTP_SINK),
# which start one server per test on a port of their own.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
REQUIREMENTS="$SCRIPT_DIR/smtp-sink-requirements.txt"
VENV="$ROOT/.venv-smtp"
STAMP="$VENV/.arreta-requirements.sha256"

die() {
    echo "smtp-sink.sh: error: $*" >&2
    exit 1
}

healthy() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import aiosmtpd.controller' >/dev/null 2>&1
}

ensure_venv() {
    local wanted
    wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && healthy; then
        return 0
    fi
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        # shellcheck source=scripts/lib.sh
        source "$SCRIPT_DIR/lib.sh"
        apt_install python3 python3-venv
    fi
    python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
        die "aiosmtpd needs Python >= 3.9; found $(python3 --version 2>&1)"
    rm -rf "$VENV"
    echo "==> creating $VENV for the tests' SMTP server" >&2
    python3 -m venv "$VENV" || die "could not create $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
        --require-virtualenv -r "$REQUIREMENTS" || { rm -rf "$VENV"; die "pip install -r $REQUIREMENTS failed"; }
    healthy || die "aiosmtpd does not import in $VENV"
    echo "$wanted" >"$STAMP"
}

exec 9>"${TMPDIR:-/tmp}/arreta-smtp-venv-$(printf '%s' "$VENV" | sha256sum | cut -c1-12).lock"
flock 9
ensure_venv
flock -u 9
exec 9>&-

if [ "${1:-}" = "--install" ]; then
    exit 0
fi
exec "$VENV/bin/python" "$SCRIPT_DIR/smtp_sink.py" "$@"
