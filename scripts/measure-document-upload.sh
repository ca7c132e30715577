#!/usr/bin/env bash
# Measures what one document upload costs the server: `arreta serve` runs as its own process
# against an S3 server with Object Lock, a clerk books a case and issues an upload link, and a
# document of SIZE bytes (default 50,000,000) goes up through the link with curl while the
# server's resident memory is sampled every 20 ms from /proc. Prints the RSS before, the peak
# RSS during the upload, their difference, VmHWM before and after, and curl's throughput.
#
#   ARRETA_TEST_S3_ENDPOINT=http://127.0.0.1:4566 scripts/measure-document-upload.sh [SIZE]
#
# Needs PostgreSQL (ARRETA_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432), a built
# `arreta` (ARRETA_BIN, default target/debug/arreta: `cargo build -p api --bin arreta`), curl and
# python3. It creates a database arreta_measure_<random> and two buckets of its own, and leaves
# them (LocalStack forgets its buckets when it stops).
set -euo pipefail

SIZE="${1:-50000000}"
ENDPOINT="${ARRETA_TEST_S3_ENDPOINT:?set ARRETA_TEST_S3_ENDPOINT to an S3 server with Object Lock (scripts/localstack.sh run PORT)}"
POSTGRES="${ARRETA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
BIN="${ARRETA_BIN:-target/debug/arreta}"
[ -x "$BIN" ] || { echo "no $BIN: build it with cargo build -p api --bin arreta, or set ARRETA_BIN" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/arreta-measure.XXXXXX")
SUFFIX=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/arreta.toml" <<EOF
database_url = "$POSTGRES/arreta_measure_$SUFFIX"
request_timeout_seconds = 300

[calendar]
min_lead_minutes = 0

[calendar.opening_hours]
monday = ["00:00-24:00"]
tuesday = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday = ["00:00-24:00"]
friday = ["00:00-24:00"]
saturday = ["00:00-24:00"]
sunday = ["00:00-24:00"]

[auth]
data_dir = "$WORK/keys"

[mail]
folder = "$WORK/mail"

[storage]
backend = "s3"
endpoint = "$ENDPOINT"
access_key = "test"
secret_key = "test"
recordings_bucket = "measure-rec-$SUFFIX"
documents_bucket = "measure-doc-$SUFFIX"
EOF
export ARRETA_CONFIG="$WORK/arreta.toml"

ARRETA_LISTEN=127.0.0.1:0 RUST_LOG=warn "$BIN" serve >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1 300); do
    grep -q '^arreta listening on ' "$WORK/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
    sleep 0.1
done
BASE=$(sed -n 's/^arreta listening on //p' "$WORK/server.out" | head -n1)
[ -n "$BASE" ] || { echo "the server did not start" >&2; cat "$WORK/server.err" >&2; exit 1; }

CLERK=$("$BIN" token --role clerk --sub clerk-01)
START=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0).isoformat())')
ID=$(curl -sf -X POST "$BASE/v1/requests" -H "authorization: Bearer $CLERK" -H 'content-type: application/json' \
    -d "{\"procedure\":\"PADRON-ALTA\",\"start\":\"$START\",\"channel\":\"phone_010\",\"language\":\"eu\",\"citizen\":{\"name\":\"Miren Etxeberria\",\"national_id\":\"12345678Z\",\"email\":\"miren@example.org\"}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
LINK=$(curl -sf -X POST "$BASE/v1/requests/$ID/links" -H "authorization: Bearer $CLERK" -H 'content-type: application/json' \
    -d '{"purpose":"upload"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

python3 - "$WORK/document.pdf" "$SIZE" <<'EOF'
import os, sys
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(b"%PDF-1.7\n")
    left = size - 9
    while left > 0:
        n = min(left, 1 << 20)
        f.write(os.urandom(n))
        left -= n
EOF

status() { awk -v key="$1" '$1 == key":" { print $2 }' "/proc/$SERVER_PID/status"; }
# Warm the server up (connections to the database and S3) with a small upload first.
head -c 65536 "$WORK/document.pdf" >"$WORK/small.pdf"
curl -sf -o /dev/null -X POST "$BASE/v1/requests/$ID/documents?name=warm-up.pdf" \
    -H "authorization: Bearer $LINK" --data-binary @"$WORK/small.pdf"
sleep 1
RSS_BEFORE=$(status VmRSS)
HWM_BEFORE=$(status VmHWM)
( peak=0; while kill -0 "$SERVER_PID" 2>/dev/null; do
      rss=$(status VmRSS); [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" >"$WORK/peak"
      sleep 0.02
  done ) &
SAMPLER=$!
CURL_OUT=$(curl -s -o "$WORK/answer.json" -w '%{http_code} %{time_total} %{speed_upload}' -X POST \
    "$BASE/v1/requests/$ID/documents?name=measure.pdf" -H "authorization: Bearer $LINK" \
    -H 'content-type: application/pdf' --data-binary @"$WORK/document.pdf")
sleep 0.2
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true
HWM_AFTER=$(status VmHWM)
PEAK=$(cat "$WORK/peak")
read -r CODE SECONDS_TOTAL SPEED <<<"$CURL_OUT"
[ "$CODE" = 201 ] || { echo "upload answered $CODE: $(cat "$WORK/answer.json")" >&2; exit 1; }
EXPECTED=$(sha256sum "$WORK/document.pdf" | cut -d' ' -f1)
GOT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$WORK/answer.json")
[ "$EXPECTED" = "$GOT" ] || { echo "digest mismatch: sent $EXPECTED, recorded $GOT" >&2; exit 1; }

python3 - "$SIZE" "$RSS_BEFORE" "$PEAK" "$HWM_BEFORE" "$HWM_AFTER" "$SECONDS_TOTAL" "$SPEED" <<'EOF'
import sys
size, before, peak, hwm0, hwm1 = (int(x) for x in sys.argv[1:6])
seconds, speed = float(sys.argv[6]), float(sys.argv[7])
print(f"document: {size} bytes, SHA-256 as sent, 201")
print(f"server RSS before: {before / 1024:.1f} MiB; peak during the upload: {peak / 1024:.1f} MiB; growth: {(peak - before) / 1024:.1f} MiB")
print(f"server VmHWM before: {hwm0 / 1024:.1f} MiB; after: {hwm1 / 1024:.1f} MiB; growth: {(hwm1 - hwm0) / 1024:.1f} MiB")
print(f"upload: {seconds:.2f} s, {speed / 1e6:.1f} MB/s ({speed / 1048576:.1f} MiB/s) as curl measured it")
EOF
