#!/usr/bin/env bash
# Sustained ingest into a release `spoor` over one protocol, bytes at rest per span, and RocksDB's own db_bench as
# the same-session baseline. Usage: bash benchmarks/run-ingest.sh [seconds] [concurrency] [batch] [protocol]
# protocol: otlp-grpc (default), otlp-http, thrift-http or udp-compact.
# TEMPLATES (default 64): the throughput run sends that many pre-encoded requests, re-stamped with new trace ids per
# send (`spoor loadgen --templates`), so the load generator stays cheap beside the server on the same cores; 0 builds
# every request afresh. Bytes at rest are always measured on a separate run of generated (not repeated) requests,
# since repeated span contents would compress unrealistically well.
# GROUP (default 6): wire messages per store write in the in-process stage timing (`spoor bench-ingest --group`).
# THROUGHPUT_ONLY=1: only the throughput run (rate, server CPU, peak RSS); no bytes at rest, stages, floor or db_bench.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_TO_RUN=${1:-30}
CONCURRENCY=${2:-8}
BATCH=${3:-500}
PROTOCOL=${4:-otlp-grpc}
case "$PROTOCOL" in
    otlp-grpc) PORT=24317 ;;
    otlp-http) PORT=24318 ;;
    thrift-http) PORT=24268 ;;
    udp-compact) PORT=26831 ;;
    *) echo "unknown protocol $PROTOCOL (otlp-grpc, otlp-http, thrift-http, udp-compact)" >&2; exit 2 ;;
esac
BIN=${SPOOR_RELEASE_BIN:-.build-release/release/spoor}
TEMPLATES=${TEMPLATES:-64}

dpkg -s rocksdb-tools >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq rocksdb-tools; }
[ -x "$BIN" ] || swift build -c release --product spoor --scratch-path .build-release

WORK=$(mktemp -d /tmp/spoor-bench-XXXXXX)
SERVER=""
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%FT%TZ)"

server_ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }  # user + system CPU of the server, in 1/100 s

cpu_line() {  # $1: label, $2: ticks, $3: spans stored
    [ "${3:-0}" -gt 0 ] && echo "$1: $(printf '%d.%02d' $(($2 / 100)) $(($2 % 100))) s (user + system) for $3 stored spans = $(awk -v t="$2" -v s="$3" 'BEGIN { printf "%.1f", t * 10000 / s }') µs per span"
}

start_server() {  # $1: data dir
    "$BIN" serve --data-dir "$1" --collector.otlp.grpc.host-port :24317 --collector.otlp.http.host-port :24318 \
        --processor.jaeger-compact.server-host-port :26831 --processor.jaeger-binary.server-host-port :26832 \
        --collector.http-server.host-port :24268 --query.http-server.host-port :26686 --admin.http.host-port :24269 \
        --log-level warn > "$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 50); do curl -sf localhost:24269/ >/dev/null && break; sleep 0.2; done
}

start_server "$WORK/data"
echo "== spoor loadgen: ${PROTOCOL}, ${SECONDS_TO_RUN}s, concurrency ${CONCURRENCY}, ${BATCH} spans/request, templates ${TEMPLATES}"
TICKS_BEFORE=$(server_ticks)
/usr/bin/time -f "loadgen CPU: %U s user + %S s system" "$BIN" loadgen --protocol "$PROTOCOL" --target "127.0.0.1:$PORT" \
    --seconds "$SECONDS_TO_RUN" --concurrency "$CONCURRENCY" --batch "$BATCH" --templates "$TEMPLATES"
if [ "$PROTOCOL" = udp-compact ]; then sleep 2; fi  # let the server drain its UDP queue before reading counters
RSS=$(awk '/VmHWM/{print $2}' /proc/$SERVER/status)
echo "server peak RSS: $((RSS / 1024)) MiB"
TICKS=$(( $(server_ticks) - TICKS_BEFORE ))
STORED=$(curl -s localhost:24269/metrics | awk '/^spoor_storage_spans_stored_total/{s += $2} END {print s + 0}')
cpu_line "server CPU" "$TICKS" "$STORED" || true
curl -s localhost:24269/metrics | grep -E '^spoor_(storage_spans_stored_total|collector_spans_received_total|collector_spans_dropped_total|collector_requests_rejected_total)' | grep -v ' 0$' || true
kill -TERM $SERVER; wait $SERVER || true
SERVER=""
[ "${THROUGHPUT_ONLY:-0}" = 1 ] && exit 0

echo "== bytes at rest: a fresh store, 15 s of generated requests at 30k spans/s, then spoor inspect (flush + full compaction)"
start_server "$WORK/data-bytes"
"$BIN" loadgen --protocol "$PROTOCOL" --target "127.0.0.1:$PORT" --seconds 15 --rate 30000 --concurrency "$CONCURRENCY" \
    --batch "$BATCH" | grep -E 'spans (accepted|sent) in'
if [ "$PROTOCOL" = udp-compact ]; then sleep 2; fi
kill -TERM $SERVER; wait $SERVER || true
"$BIN" inspect --data-dir "$WORK/data-bytes"

case "$PROTOCOL" in otlp-grpc|thrift-http)
    # GROUP: messages per store write, as the server's writer batches the requests queued meanwhile (5-8 with 32
    # concurrent 500-span requests; 1 writes each message alone, as this line did before 2026-11-27).
    echo "== spoor bench-ingest: the same work in process, one thread, thread CPU per stage (no network), ${GROUP:-6} messages per write"
    "$BIN" bench-ingest --protocol "$PROTOCOL" --requests 1000 --batch "$BATCH" --group "${GROUP:-6}" --data-dir "$WORK/data-stages" | tail -n +2
    echo "== spoor bench-ingest --floor: decode, then one chunk record per trace through the WAL, nothing indexed (the bound)"
    "$BIN" bench-ingest --floor --protocol "$PROTOCOL" --requests 1000 --batch "$BATCH" --data-dir "$WORK/data-floor" | tail -n +2
    echo "== spoor bench-serve-floor: the same listeners and load generator, nothing indexed (the bound through the network)"
    "$BIN" bench-serve-floor --data-dir "$WORK/data-floor-server" --collector.otlp.grpc.host-port :24317 \
        --collector.otlp.http.host-port :24318 --collector.http-server.host-port :24268 > "$WORK/floor-server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
    kill -0 $SERVER 2>/dev/null || { echo "bench-serve-floor did not start:"; cat "$WORK/floor-server.log"; exit 1; }
    TICKS_BEFORE=$(server_ticks)
    "$BIN" loadgen --protocol "$PROTOCOL" --target "127.0.0.1:$PORT" --seconds "$SECONDS_TO_RUN" --concurrency "$CONCURRENCY" \
        --batch "$BATCH" --templates "$TEMPLATES" | sed 's/^loadgen:/floor loadgen:/'
    TICKS=$(( $(server_ticks) - TICKS_BEFORE ))
    kill -TERM $SERVER; wait $SERVER || true
    SERVER=""
    cat "$WORK/floor-server.log"
    FLOOR_STORED=$(awk '/^bench-serve-floor:/{print $2}' "$WORK/floor-server.log")
    cpu_line "floor server CPU" "$TICKS" "$FLOOR_STORED" || true
    ;;
esac

echo "== db_bench baseline (same machine, same session): 1M keys, 300-byte values, batches of 1000; fillseq three times (it varies by a third between runs minutes apart), fillrandom once"
for bench in fillseq fillseq fillseq fillrandom; do
    db_bench --benchmarks=$bench --num=1000000 --value_size=300 --batch_size=1000 --compression_type=lz4 \
        --db="$WORK/dbbench" 2>/dev/null | grep -E "^$bench"
done
