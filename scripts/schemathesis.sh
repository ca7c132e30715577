#!/usr/bin/env bash
# Fuzzes a running Arreta server with Schemathesis, driven by the server's own /openapi.json.
#
#   scripts/schemathesis.sh BASE_URL [extra `st run` arguments...]
#
#   scripts/schemathesis.sh http://127.0.0.1:18123
#   scripts/schemathesis.sh http://127.0.0.1:18123 -H 'X-Arreta-Role: clerk' -H 'X-Arreta-Staff: clerk-01'
#   scripts/schemathesis.sh http://127.0.0.1:18123 -H 'Authorization: Bearer eyJ...'
#
# It passes when no response is a server error (5xx) and every response to a documented status
# has the documented content type, body schema and headers. Undocumented statuses (401, 403,
# 405, ...) and the API's stricter-than-documented validation are NOT failures here.
#
# Schemathesis (pinned in scripts/schemathesis-requirements.txt) is installed into
# .venv-schemathesis at the repository root on the first run, and again only when that file
# changes. The run is bounded and reproducible: a fixed seed, one worker, a fixed number of
# examples per operation, no example database, a timeout on each request and on the whole run.
# Only BASE_URL is contacted, and it must be a loopback address.
#
# Extra arguments go to `st run` after the defaults, so a repeated option (e.g. --max-examples,
# --seed, --checks) overrides the default. Environment:
#   ARRETA_SCHEMATHESIS_MAX_EXAMPLES  examples per operation and phase (default 100)
#   ARRETA_SCHEMATHESIS_SEED          seed (default 1)
#   ARRETA_SCHEMATHESIS_TIMEOUT       hard limit on the whole run, in seconds (default 600)
#   ARRETA_SCHEMATHESIS_CONFIG        a schemathesis.toml to use instead of the script's own, which
#                                     only turns Schemathesis's cache off (so no stray
#                                     schemathesis.toml in the working directory is picked up, and
#                                     nothing is written there: no .schemathesis/ nor .hypothesis/)
#   ARRETA_SCHEMATHESIS_PYTHON        the Python (>= 3.11) that makes the virtualenv
#
# Exit status: 0 when every check passed, Schemathesis's own non-zero status when a check failed
# or the run errored, 2 on a usage error, 124 when the hard time limit was hit.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
REQUIREMENTS="$SCRIPT_DIR/schemathesis-requirements.txt"
VENV="$ROOT/.venv-schemathesis"
STAMP="$VENV/.arreta-requirements.sha256"
DEFAULT_CONFIG="$VENV/.arreta-schemathesis.toml"

# The checks that mean "no server error, and no response that breaks the documented contract",
# as Schemathesis 4.x names them. Left out on purpose: status_code_conformance (every status
# documented), positive_data_acceptance / negative_data_rejection (the API validates more
# strictly than the schema says), and the rest of `--checks all`. The flags below are 4.x's
# (3.x spelled them --hypothesis-max-examples, --hypothesis-seed, --base-url, ...).
CHECKS=not_a_server_error,response_schema_conformance,content_type_conformance,response_headers_conformance
MAX_EXAMPLES="${ARRETA_SCHEMATHESIS_MAX_EXAMPLES:-100}"
SEED="${ARRETA_SCHEMATHESIS_SEED:-1}"
HARD_TIMEOUT="${ARRETA_SCHEMATHESIS_TIMEOUT:-600}"

die() {
    echo "schemathesis.sh: error: $*" >&2
    exit "${EXIT_CODE:-1}"
}

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# --- arguments -------------------------------------------------------------------------------

if [ $# -lt 1 ] || [ -z "${1:-}" ]; then
    usage >&2
    EXIT_CODE=2 die "BASE_URL is required, e.g. http://127.0.0.1:18123"
fi
case "$1" in
    -h | --help) usage; exit 0 ;;
esac
BASE_URL="${1%/}"
shift

for value in "$MAX_EXAMPLES" "$SEED" "$HARD_TIMEOUT"; do
    [[ "$value" =~ ^[0-9]+$ ]] || EXIT_CODE=2 die "ARRETA_SCHEMATHESIS_* numbers must be non-negative integers, got '$value'"
done

# Only a loopback server is a target: http(s)://HOST[:PORT][/prefix] with HOST 127.x.x.x,
# localhost or [::1], and no user info.
if [[ ! "$BASE_URL" =~ ^https?://([^/?#]+)(/[^?#]*)?$ ]]; then
    EXIT_CODE=2 die "BASE_URL must look like http://127.0.0.1:PORT (got '$BASE_URL')"
fi
authority="${BASH_REMATCH[1]}"
[[ "$authority" == *@* ]] && EXIT_CODE=2 die "BASE_URL must not carry user info (got '$BASE_URL')"
host="$authority"
if [[ "$host" =~ ^(\[[^]]*\])(:[0-9]+)?$ ]]; then
    host="${BASH_REMATCH[1]}"
elif [[ "$host" =~ ^([^:]+)(:[0-9]+)?$ ]]; then
    host="${BASH_REMATCH[1]}"
else
    EXIT_CODE=2 die "cannot read the host and port of BASE_URL '$BASE_URL'"
fi
host="${host,,}"
if [[ ! "$host" =~ ^(localhost|127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\]|\[0*:0*:0*:0*:0*:0*:0*:0*1\])$ ]]; then
    EXIT_CODE=2 die "BASE_URL must be a loopback address (127.0.0.0/8, localhost or [::1]); got host '$host'"
fi

# Nothing in the extra arguments may send traffic anywhere else.
for arg in "$@"; do
    case "$arg" in
        -u | --url | --url=* | --origin | --origin=* | --proxy | --proxy=*)
            EXIT_CODE=2 die "'$arg' is not allowed: this script only targets BASE_URL, directly" ;;
    esac
done

# --- the virtualenv --------------------------------------------------------------------------

[ -f "$REQUIREMENTS" ] || die "missing $REQUIREMENTS"

python_ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in python3 python3.13 python3.12 python3.11 /usr/bin/python3; do
        command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate" && { echo "$candidate"; return 0; }
    done
    return 1
}

venv_healthy() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import schemathesis.cli' >/dev/null 2>&1
}

ensure_venv() {
    local wanted python
    wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && venv_healthy; then
        return 0
    fi

    if [ -n "${ARRETA_SCHEMATHESIS_PYTHON:-}" ]; then
        python="$ARRETA_SCHEMATHESIS_PYTHON"
        python_ok "$python" ||
            die "ARRETA_SCHEMATHESIS_PYTHON=$python is not a Python >= 3.11 with the venv and ensurepip modules"
    elif ! python=$(find_python); then
        # Debian 12's python3 has no venv/ensurepip until python3-venv is installed.
        if command -v apt-get >/dev/null 2>&1; then
            # shellcheck source=scripts/lib.sh
            source "$SCRIPT_DIR/lib.sh"
            apt_install python3 python3-venv
        fi
        python=$(find_python) ||
            die "no Python >= 3.11 with the venv module found; install one (Debian 12: apt-get install python3 python3-venv) or set ARRETA_SCHEMATHESIS_PYTHON"
    fi

    if [ -e "$VENV" ]; then
        [ -f "$VENV/pyvenv.cfg" ] || die "$VENV exists but is not a virtualenv; move it away and run again"
        echo "==> $REQUIREMENTS changed (or the virtualenv is broken): rebuilding $VENV"
        rm -rf "$VENV"
    fi
    echo "==> creating $VENV with $("$python" --version 2>&1) ($(command -v "$python"))"
    "$python" -m venv "$VENV" || die "could not create the virtualenv $VENV with $python"
    echo "==> installing Schemathesis from $REQUIREMENTS"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
        --require-virtualenv -r "$REQUIREMENTS"; then
        rm -rf "$VENV"
        die "pip install -r $REQUIREMENTS failed (is PyPI reachable?)"
    fi
    venv_healthy || die "Schemathesis does not import in $VENV after installing"
    echo "$wanted" >"$STAMP"
}

# Two runs at once must not build the same virtualenv together.
if command -v flock >/dev/null 2>&1; then
    lock_file="${TMPDIR:-/tmp}/arreta-schemathesis-venv-$(printf '%s' "$VENV" | sha256sum | cut -c1-12).lock"
    exec 9>"$lock_file"
    flock 9
    ensure_venv
    flock -u 9
    exec 9>&-
else
    ensure_venv
fi

if [ -n "${ARRETA_SCHEMATHESIS_CONFIG:-}" ]; then
    config="$ARRETA_SCHEMATHESIS_CONFIG"
    [ -f "$config" ] || die "ARRETA_SCHEMATHESIS_CONFIG=$config is not a file"
else
    config="$DEFAULT_CONFIG"
    # Without a cache Schemathesis writes no .schemathesis/ into the working directory, and a run
    # depends on nothing an earlier run left (failures print a curl command to reproduce them).
    printf '# Written by scripts/schemathesis.sh on every run.\n[cache]\nenabled = false\n' >"$config"
fi

# --- the run ---------------------------------------------------------------------------------

st_args=(
    --config-file "$config"
    run "$BASE_URL/openapi.json"
    --url "$BASE_URL"                  # send every request to BASE_URL, whatever `servers` says
    --checks "$CHECKS"
    --max-examples "$MAX_EXAMPLES"
    --seed "$SEED"
    --workers 1                        # with the seed, the same requests in the same order
    --generation-database none         # no replay of examples saved by earlier runs
    --max-redirects 0                  # never follow a redirect off BASE_URL
    --request-timeout 10
    --wait-for-schema 30               # a server that was just started gets time to listen
    "$@"
)

# `python -m schemathesis.cli` is `st`, without depending on the entry point's #! line.
st=("$VENV/bin/python" -m schemathesis.cli)
echo "==> schemathesis $("${st[@]}" --version | awk '{print $NF}') against $BASE_URL/openapi.json" \
    "(defaults, which later arguments override: checks $CHECKS; $MAX_EXAMPLES examples per operation; seed $SEED)"
started=$(date +%s)
status=0
# No proxy: requests would otherwise honour http(s)_proxy from the environment. Hypothesis keeps
# its caches in the virtualenv, not in the working directory.
env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
    NO_PROXY='*' no_proxy='*' HYPOTHESIS_STORAGE_DIRECTORY="$VENV/.hypothesis" \
    timeout --foreground --kill-after=30 "$HARD_TIMEOUT" "${st[@]}" "${st_args[@]}" || status=$?
elapsed=$(($(date +%s) - started))

case "$status" in
    0) echo "schemathesis: PASSED in ${elapsed}s (seed $SEED)" ;;
    124 | 137) echo "schemathesis: FAILED: the run passed the hard limit of ${HARD_TIMEOUT}s (ARRETA_SCHEMATHESIS_TIMEOUT) and was stopped" >&2
        status=124 ;;
    *) echo "schemathesis: FAILED (exit $status) in ${elapsed}s with seed $SEED; see the report above" >&2 ;;
esac
exit "$status"
