#!/usr/bin/env bash
# The whole benchmark suite in one command, ending with one table of every figure against its target.
# Usage: bash benchmarks/run-all.sh
#   SPANS (default 10000000): dataset size for the query benchmark; ITERATIONS (default 200) per query.
#   INGEST_SECONDS (default 30): each sustained-ingest run; UDP_RATE (default 50000) and UDP_SECONDS (default 20).
#   MICRO=1 also runs the ordo-one micro benchmarks (their own build: several minutes).
#   SPOOR_RELEASE_BIN: the binary to measure (default: a release build, made when missing).
# Every step's full output is kept in $LOGS (default: a new /tmp/spoor-suite-* directory) next to the table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SPANS=${SPANS:-10000000}
ITERATIONS=${ITERATIONS:-200}
INGEST_SECONDS=${INGEST_SECONDS:-30}
UDP_RATE=${UDP_RATE:-50000}
UDP_SECONDS=${UDP_SECONDS:-20}
BIN=${SPOOR_RELEASE_BIN:-.build-release/release/spoor}
LOGS=${LOGS:-$(mktemp -d /tmp/spoor-suite-XXXXXX)}
mkdir -p "$LOGS"
[ -x "$BIN" ] || swift build -c release --product spoor --scratch-path .build-release
export SPOOR_RELEASE_BIN=$BIN
echo "== suite: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), logs in $LOGS"

for protocol in otlp-grpc thrift-http; do
    echo "== ingest: $protocol, ${INGEST_SECONDS} s"
    bash benchmarks/run-ingest.sh "$INGEST_SECONDS" 32 500 "$protocol" 2>&1 | tee "$LOGS/ingest-$protocol.log"
done
# Thrift HTTP sends one Batch (one service's spans) per request, so the 500-span templates above reach the server as
# requests of ~83 spans. OpenTelemetry SDKs export up to 512 spans per request (BatchSpanProcessor), one service each:
# 3000-span templates over the same 6 services give requests of ~500 spans.
echo "== ingest: thrift-http, requests of ~500 spans, ${INGEST_SECONDS} s"
THROUGHPUT_ONLY=1 bash benchmarks/run-ingest.sh "$INGEST_SECONDS" 32 3000 thrift-http 2>&1 | tee "$LOGS/ingest-thrift-http-500.log"

echo "== UDP compact: ${UDP_RATE} spans/s for ${UDP_SECONDS} s"
UDP_DATA=$(mktemp -d /tmp/spoor-suite-udp-XXXXXX)
"$BIN" serve --data-dir "$UDP_DATA" --collector.otlp.grpc.host-port :27317 --collector.otlp.http.host-port :27318 \
    --processor.jaeger-compact.server-host-port :27831 --processor.jaeger-binary.server-host-port :27832 \
    --collector.http-server.host-port :27268 --query.http-server.host-port :27686 --admin.http.host-port :27269 \
    --collector.grpc-server.host-port :27250 --collector.zipkin.host-port :27411 --http-server.host-port :27778 \
    --query.grpc-server.host-port :27685 --log-level warn > "$LOGS/udp-server.log" 2>&1 &
UDP_SERVER=$!
trap 'kill $UDP_SERVER 2>/dev/null || true; rm -rf "$UDP_DATA"' EXIT
for _ in $(seq 1 50); do curl -sf localhost:27269/ >/dev/null && break; sleep 0.2; done
rcvbuf_errors() { awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp; }
KERNEL_BEFORE=$(rcvbuf_errors)
"$BIN" loadgen --protocol udp-compact --target 127.0.0.1:27831 --rate "$UDP_RATE" --seconds "$UDP_SECONDS" --batch 100 \
    --templates 64 2>&1 | tee "$LOGS/udp.log"
sleep 2  # the server drains its queue
KERNEL_DROPS=$(( $(rcvbuf_errors) - KERNEL_BEFORE ))
curl -s localhost:27269/metrics > "$LOGS/udp-metrics.txt"
kill -TERM $UDP_SERVER; wait $UDP_SERVER || true
rm -rf "$UDP_DATA"
trap - EXIT
UDP_STORED=$(awk '/^spoor_storage_spans_stored_total/{s += $2} END {print s + 0}' "$LOGS/udp-metrics.txt")
UDP_DROPPED=$(awk '/^spoor_(collector|storage)_spans_dropped_total/{s += $2} END {print s + 0}' "$LOGS/udp-metrics.txt")
UDP_SENT=$(grep -oE '[0-9]+ spans sent' "$LOGS/udp.log" | awk '{print $1}' | head -1 || true)
echo "udp: sent ${UDP_SENT:-?} spans, stored $UDP_STORED, dropped by spoor $UDP_DROPPED spans, kernel receive-buffer drops $KERNEL_DROPS datagrams (whole machine)"

echo "== queries: $SPANS spans, $ITERATIONS iterations"
bash benchmarks/run-query.sh "$SPANS" "" "$ITERATIONS" 2>&1 | tee "$LOGS/query.log"

if [ "${MICRO:-0}" = 1 ]; then
    echo "== micro benchmarks"
    (cd benchmarks/micro && RUNTIME_INTERPOSER_LOCAL_PATH=$PWD/Stubs/swift-runtime-interposer \
        swift package --disable-sandbox benchmark) 2>&1 | tee "$LOGS/micro.log"
fi

# ---- the table ----
# A figure missing from a log (a step that failed) prints as "?" instead of ending the script before the table.
set +e
ingest_rate() { grep -oE '= [0-9]+ spans/s' "$LOGS/ingest-$1.log" | head -1 | grep -oE '[0-9]+'; }
span_bytes() { grep -oE '\([0-9]+ B per span\)' "$LOGS/ingest-$1.log" | head -1 | grep -oE '[0-9]+'; }
ingest_mbs() { grep -oE '[0-9.]+ MB/s of encoded spans' "$LOGS/ingest-$1.log" | head -1 | awk '{print $1}'; }
fillseq_mbs() { awk '/^fillseq/{print $(NF-1)}' "$LOGS/ingest-$1.log" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }  # the median run
in_process_us() { sed -n '/^== spoor bench-ingest: the same work/,/^== /p' "$LOGS/ingest-$1.log" | awk '/^process/{print $2; exit}'; }
bytes_at_rest() { awk '/^bytes per span:/{print $4}' "$LOGS/ingest-$1.log"; }
peak_rss() { awk '/^server peak RSS:/{print $4}' "$LOGS/ingest-$1.log"; }
cpu_per_span() { grep -E '^server CPU:' "$LOGS/ingest-$1.log" | grep -oE '= [0-9.]+ µs per span' | grep -oE '[0-9.]+'; }
p99() { awk -v name="$1" 'index($0, name) == 1 { print $(NF-2) }' "$LOGS/query.log" | head -1; }
p50() { awk -v name="$1" 'index($0, name) == 1 { print $(NF-3) }' "$LOGS/query.log" | head -1; }
# verdict VALUE OP LIMIT: met / NOT met / ? (no figure)
verdict() {
    [ -n "$1" ] || { echo "?"; return; }
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == "<") ? v < l : (op == "<=") ? v <= l : v >= l; print ok ? "met" : "**NOT met**" }'
}
share() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.1f", 100 * a / b }'; }

SERVE_MS=$(awk '/^start to serving:/{print $4}' "$LOGS/query.log")
RETENTION=$(grep -oE 'dropped [0-9]+ buckets in [0-9.]+ ms' "$LOGS/query.log" || true)
{
    echo
    echo "## Suite results ($(date -u +%F), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; logs: $LOGS)"
    echo
    echo "| figure | measured | target | |"
    echo "|---|---|---|---|"
    for protocol in otlp-grpc thrift-http; do
        rate=$(ingest_rate "$protocol")
        sizes="32 × 500-span requests"
        [ "$protocol" = thrift-http ] && sizes="32 connections, requests of ~83 spans (500-span templates, one request per service)"
        echo "| sustained ingest, $protocol ($sizes, ${INGEST_SECONDS} s) | ${rate:-?} spans/s, $(cpu_per_span "$protocol") µs server CPU per span | ≥ 100000 | $(verdict "$rate" '>=' 100000) |"
        if [ "$protocol" = thrift-http ]; then
            rate=$(ingest_rate thrift-http-500)
            echo "| sustained ingest, thrift-http (32 connections, requests of ~500 spans as SDK exporters send, ${INGEST_SECONDS} s) | ${rate:-?} spans/s, $(cpu_per_span thrift-http-500) µs server CPU per span | ≥ 100000 | $(verdict "$rate" '>=' 100000) |"
        fi
        s=$(share "$(ingest_mbs "$protocol")" "$(fillseq_mbs "$protocol")")
        echo "| share of \`db_bench fillseq\` bytes/s, $protocol ($(ingest_mbs "$protocol") of $(fillseq_mbs "$protocol") MB/s, the median of 3 runs) | ${s:-?}% | ≥ 40% | $(verdict "$s" '>=' 40) |"
        # The floor: bench-ingest --floor's process CPU per span, at 2 cores, in encoded bytes/s against fillseq.
        floor_us=$(sed -n '/--floor/,$p' "$LOGS/ingest-$protocol.log" | awk '/^process/{print $2; exit}')
        floor_mbs=$(awk -v us="$floor_us" -v b="$(span_bytes "$protocol")" 'BEGIN { if (us > 0) printf "%.1f", 2e6 / us * b / 1e6 }')
        echo "| what bounds it, $protocol: the same work in process (\`bench-ingest\`), no network | $(in_process_us "$protocol") µs per span | | |"
        echo "| what bounds it, $protocol: the floor, nothing indexed, no network (\`bench-ingest --floor\`: decode + a chunk record per trace through the WAL) | ${floor_us:-?} µs per span, $(share "$floor_mbs" "$(fillseq_mbs "$protocol")")% of \`fillseq\` at 2 cores | | |"
        floor_rate=$(grep -oE '^floor loadgen: .* = [0-9]+ spans/s' "$LOGS/ingest-$protocol.log" | grep -oE '[0-9]+ spans/s$' | grep -oE '[0-9]+')
        floor_server_mbs=$(grep -E '^floor loadgen:' "$LOGS/ingest-$protocol.log" | grep -oE '[0-9.]+ MB/s of encoded spans' | awk '{print $1}')
        floor_server_us=$(grep -oE '^floor server CPU: .* = [0-9.]+ µs per span' "$LOGS/ingest-$protocol.log" | grep -oE '[0-9.]+ µs' | grep -oE '[0-9.]+')
        echo "| what bounds it, $protocol: the floor through the same listeners and load generator, nothing indexed (\`bench-serve-floor\`) | ${floor_rate:-?} spans/s, ${floor_server_us:-?} µs server CPU per span: $(share "$floor_server_mbs" "$(fillseq_mbs "$protocol")")% of \`fillseq\` | | |"
    done
    udp_ok=$([ -n "${UDP_SENT:-}" ] && [ "$UDP_STORED" -eq "$UDP_SENT" ] && [ "$UDP_DROPPED" -eq 0 ] && [ "$KERNEL_DROPS" -eq 0 ] && echo 1 || echo 0)
    echo "| UDP compact at ${UDP_RATE} spans/s for ${UDP_SECONDS} s: spans sent / stored / dropped by Spoor; datagrams dropped by the kernel | ${UDP_SENT:-?} / $UDP_STORED / $UDP_DROPPED; $KERNEL_DROPS | ≥ 50000 without drops | $([ "$udp_ok" = 1 ] && [ "$UDP_RATE" -ge 50000 ] && echo met || echo '**NOT met**') |"
    # pattern (the start of bench-query's row) | figure | p99 target in ms (empty: reported only)
    for row in "trace by id|trace by id|5" "search: service (|search by service|20" \
        "search: service + operation|search by service + operation|20" "search: service + one tag|search by service + one tag|50" \
        "search: service + two tags|search by service + two tags|50" "search: service + duration|search by service + span duration 10–20 ms|" \
        "search: service + whole-trace|search by service + whole-trace duration ≥ 50 ms|" \
        "search: no service, one tag|search by one tag, no service|" "services list|services list|" "operations list|operations list|" \
        "dependencies (7 days)|dependencies, 7 days|" "metrics rollups: service, server kind, 1 h|Monitor metrics, 1 h|" \
        "metrics rollups: service, server kind, 7 day|Monitor metrics, 7 days|"; do
        IFS='|' read -r pattern figure limit <<< "$row"
        v=$(p99 "$pattern")
        if [ -n "$limit" ]; then
            echo "| $figure, p50 / p99 ($SPANS spans) | $(p50 "$pattern") / ${v:-?} ms | p99 < $limit ms | $(verdict "$v" '<' "$limit") |"
        else
            echo "| $figure, p50 / p99 ($SPANS spans) | $(p50 "$pattern") / ${v:-?} ms | | |"
        fi
    done
    for protocol in otlp-grpc thrift-http; do
        b=$(bytes_at_rest "$protocol")
        echo "| bytes per span at rest, $protocol | ${b:-?} B | ≤ 80 B | $(verdict "$b" '<=' 80) |"
    done
    echo "| start to serving with $SPANS spans | ${SERVE_MS:-?} ms | < 2000 ms | $(verdict "$SERVE_MS" '<' 2000) |"
    for protocol in otlp-grpc thrift-http thrift-http-500; do
        r=$(peak_rss "$protocol")
        echo "| peak RSS, sustained ingest, ${protocol/%-500/, ~500-span requests} | ${r:-?} MiB | < 488 MiB (512 MB) | $(verdict "$r" '<' 488) |"
    done
    echo "| retention of the $SPANS-span dataset | ${RETENTION:-?} | | |"
} | tee "$LOGS/table.md"
