# Shared set-up for the README's commands on Debian 12: install what is missing with apt-get,
# check the Rust toolchain, and make sure a PostgreSQL answers on 127.0.0.1.
# Sourced, not run.

PG_HOST=127.0.0.1
PG_PORT="${PGPORT:-5432}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install PACKAGE...: installs the packages that are not installed yet.
# The GStreamer 1.22 packages the recorder builds and runs with (Debian 12): development files for
# the -sys crates, webrtcbin (bad), libnice's ICE (nice), VP8/RTP/WebM (good), Opus and the test
# sources (base), and the discoverer.
GSTREAMER_PACKAGES=(libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice
    gstreamer1.0-tools gstreamer1.0-plugins-base-apps)

apt_install() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# require_rust: cargo 1.95 or newer, with rustfmt and clippy.
require_rust() {
    if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        echo "error: Rust 1.95 or newer is needed and cargo is not installed." >&2
        echo "       Debian 12's own rustc is too old; install the toolchain with rustup, then run this again." >&2
        exit 1
    fi
    local minor
    minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
    if [ "${minor:-0}" -lt 95 ]; then
        if command -v rustup >/dev/null 2>&1; then
            rustup toolchain install 1.95 --profile default
            rustup default 1.95
        else
            echo "error: rustc $(rustc --version) is older than 1.95; update it with rustup." >&2
            exit 1
        fi
    fi
    if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
        command -v rustup >/dev/null 2>&1 && rustup component add rustfmt clippy
    fi
}

pg_answers() {
    pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null
}

# ensure_postgres: a PostgreSQL on 127.0.0.1:$PG_PORT that lets `postgres` in from loopback
# without a password (a developer's or CI's machine only: never do this on a server).
ensure_postgres() {
    apt_install postgresql
    if ! pg_answers; then
        local cluster
        cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1 " " $2; exit }')
        if [ -z "$cluster" ]; then
            local version
            version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
            echo "==> creating PostgreSQL $version cluster 'main' on port $PG_PORT"
            as_root pg_createcluster "$version" main --port "$PG_PORT"
            cluster="$version main"
        fi
        echo "==> starting PostgreSQL cluster $cluster"
        # shellcheck disable=SC2086
        as_root pg_ctlcluster --skip-systemctl-redirect $cluster start || true
        for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
        pg_answers || { echo "error: PostgreSQL did not start on $PG_HOST:$PG_PORT" >&2; exit 1; }
    fi
    if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -Atc 'SELECT 1' postgres >/dev/null 2>&1; then
        local hba
        hba=$(as_root runuser -u postgres -- psql -p "$PG_PORT" -Atc 'SHOW hba_file')
        echo "==> allowing passwordless loopback connections in $hba (development and tests only)"
        as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
        as_root runuser -u postgres -- psql -p "$PG_PORT" -Atc 'SELECT pg_reload_conf()' >/dev/null
        psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -Atc 'SELECT 1' postgres >/dev/null
    fi
}

# drop_stale_test_databases: tests make one database each; clear those of earlier runs.
drop_stale_test_databases() {
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -Atc \
        "SELECT datname FROM pg_database WHERE datname LIKE 'arreta\_test\_%' OR datname LIKE 'arreta\_bench\_%'" postgres |
        while read -r db; do dropdb -h "$PG_HOST" -p "$PG_PORT" -U postgres --if-exists "$db"; done
}

# start_localstack: LocalStack's S3 (scripts/localstack.sh) on a free loopback port, for the tests
# that prove Object Lock retention; exports ARRETA_TEST_S3_ENDPOINT. Stops the run with an error
# when Debian's Python 3.11 (/usr/bin/python3, or ARRETA_LOCALSTACK_PYTHON) cannot build the
# virtualenv or the server does not come up: those tests are never skipped.
# Pair it with `trap stop_localstack EXIT`.
LOCALSTACK_PID=
LOCALSTACK_LOG=
start_localstack() {
    bash scripts/localstack.sh install
    local python=.venv-localstack/bin/python port started elapsed
    port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    LOCALSTACK_LOG=$(mktemp "${TMPDIR:-/tmp}/arreta-localstack.XXXXXX")
    started=$(date +%s%N)
    bash scripts/localstack.sh run "$port" >"$LOCALSTACK_LOG" 2>&1 &
    LOCALSTACK_PID=$!
    # Ready when it prints "Ready." and its health endpoint says S3 is running.
    local ready=0
    for _ in $(seq 1 600); do
        if ! kill -0 "$LOCALSTACK_PID" 2>/dev/null; then
            echo "error: LocalStack's S3 stopped while starting; its log ($LOCALSTACK_LOG) ends:" >&2
            tail -n 30 "$LOCALSTACK_LOG" >&2
            LOCALSTACK_PID=
            exit 1
        fi
        if grep -q '^Ready\.' "$LOCALSTACK_LOG" &&
            "$python" - "$port" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_localstack/health", timeout=2) as r:
    sys.exit(0 if json.load(r).get("services", {}).get("s3") == "running" else 1)
PY
        then
            ready=1
            break
        fi
        sleep 0.1
    done
    if [ "$ready" -ne 1 ]; then
        echo "error: LocalStack's S3 did not become ready on 127.0.0.1:$port within 60 s; its log ($LOCALSTACK_LOG) ends:" >&2
        tail -n 30 "$LOCALSTACK_LOG" >&2
        exit 1
    fi
    elapsed=$((($(date +%s%N) - started) / 1000000))
    export ARRETA_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    echo "==> LocalStack S3 on $ARRETA_TEST_S3_ENDPOINT (ready in ${elapsed} ms; log $LOCALSTACK_LOG)"
}

# stop_localstack: SIGINT (LocalStack does not stop reliably on SIGTERM), then SIGKILL after 10 s (it keeps nothing, and with the launcher's fix a stop takes 1-6 s).
stop_localstack() {
    [ -n "${LOCALSTACK_PID:-}" ] || return 0
    if kill -0 "$LOCALSTACK_PID" 2>/dev/null; then
        kill -INT "$LOCALSTACK_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$LOCALSTACK_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$LOCALSTACK_PID" 2>/dev/null; then
            echo "warning: LocalStack did not stop on SIGINT within 10 s; killing it" >&2
            kill -KILL "$LOCALSTACK_PID" 2>/dev/null || true
        fi
    fi
    wait "$LOCALSTACK_PID" 2>/dev/null || true
    LOCALSTACK_PID=
    [ -n "${LOCALSTACK_LOG:-}" ] && rm -f "$LOCALSTACK_LOG"
    return 0
}
