#!/usr/bin/env bash
# Starts `arreta serve` (debug build) on a fresh database and an ephemeral port, then runs
# Schemathesis against its /openapi.json as an anonymous caller and as each staff role.
# Called by scripts/test.sh; expects PostgreSQL to answer (see scripts/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

BINARY=target/debug/arreta
[ -x "$BINARY" ] || { echo "error: $BINARY is missing: run cargo build first" >&2; exit 1; }
WORK=$(mktemp -d)
DATABASE="arreta_test_fuzz_$$"
export ARRETA_DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/$DATABASE"
export ARRETA_LISTEN=127.0.0.1:0
export ARRETA_AUTH__DATA_DIR="$WORK/keys"
export ARRETA_MAIL__FOLDER="$WORK/mail"
# Schemathesis calls from one address hundreds of times a second.
export ARRETA_RATE_LIMITS__PUBLIC_PER_MINUTE=6000000
export ARRETA_RATE_LIMITS__CITIZEN_PER_MINUTE=6000000
export ARRETA_RATE_LIMITS__BURST=100000
export RUST_LOG=warn

SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    dropdb -h "$PG_HOST" -p "$PG_PORT" -U postgres --if-exists "$DATABASE" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BINARY" serve >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q "arreta listening on" "$WORK/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
    sleep 0.2
done
BASE=$(sed -n 's/^arreta listening on //p' "$WORK/server.out" | head -n 1)
[ -n "$BASE" ] || { echo "error: arreta serve did not start" >&2; cat "$WORK/server.err" >&2; exit 1; }
echo "==> schemathesis against $BASE"

status=0
echo "--> as an anonymous caller"
bash scripts/schemathesis.sh "$BASE" || status=1
for role in clerk supervisor auditor; do
    token=$("$BINARY" token --role "$role" --sub "$role-fuzz")
    echo "--> as $role"
    bash scripts/schemathesis.sh "$BASE" -H "Authorization: Bearer $token" || status=1
done
if grep -qiE "panicked|request failed" "$WORK/server.err"; then
    echo "error: the server logged failures while fuzzed:" >&2
    grep -iE "panicked|request failed" "$WORK/server.err" | head -20 >&2
    status=1
fi
exit $status
