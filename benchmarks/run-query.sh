#!/usr/bin/env bash
# Query latency over a stored dataset, start-to-serving time and retention time.
# Usage: bash benchmarks/run-query.sh [spans=10000000] [data-dir] [iterations=200]
#   Builds the dataset with `spoor bench-query` (in process, straight into RocksDB) unless data-dir already holds
#   one (then pass spans=0), times every query kind, then times `spoor serve` from exec to a healthy admin port on
#   that data, and finally (only when the data dir is a temporary one) the retention of every bucket.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SPANS=${1:-10000000}
DATA=${2:-}
ITERATIONS=${3:-200}
BIN=${SPOOR_RELEASE_BIN:-.build-release/release/spoor}
[ -x "$BIN" ] || swift build -c release --product spoor --scratch-path .build-release

TEMP=""
if [ -z "$DATA" ]; then TEMP=$(mktemp -d /tmp/spoor-query-bench-XXXXXX); DATA="$TEMP/data"; fi
trap '[ -n "$TEMP" ] && rm -rf "$TEMP"' EXIT
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%FT%TZ)"
echo "== spoor bench-query: $SPANS new spans into $DATA, $ITERATIONS iterations per query"
"$BIN" bench-query --data-dir "$DATA" --spans "$SPANS" --iterations "$ITERATIONS"

echo "== start to serving (exec until the admin health endpoint answers 200)"
START=$(date +%s%N)
"$BIN" serve --data-dir "$DATA" --collector.otlp.grpc.host-port :25317 --collector.otlp.http.host-port :25318 \
    --processor.jaeger-compact.server-host-port :25831 --processor.jaeger-binary.server-host-port :25832 \
    --collector.http-server.host-port :25268 --query.http-server.host-port :25686 --admin.http.host-port :25269 \
    --collector.grpc-server.host-port :25250 --collector.zipkin.host-port :25411 --http-server.host-port :25778 \
    --query.grpc-server.host-port :25685 --retention 1000h --log-level warn > /tmp/spoor-query-bench-serve.log 2>&1 &
SERVER=$!
until curl -sf localhost:25269/ >/dev/null; do sleep 0.01; done
END=$(date +%s%N)
echo "start to serving: $(( (END - START) / 1000000 )) ms"
curl -s "localhost:25686/api/services" | head -c 300; echo
kill -TERM $SERVER; wait $SERVER || true

if [ -n "$TEMP" ]; then
    echo "== retention: drop every bucket"
    "$BIN" bench-query --data-dir "$DATA" --spans 0 --iterations 1 --measure-retention | grep -E '^(retention|open)'
fi
