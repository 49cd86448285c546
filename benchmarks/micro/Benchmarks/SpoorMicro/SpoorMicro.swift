// Micro benchmarks of Spoor's ingest hot paths: wire decoders, index key encoding, the stored value format and
// `SpanStore.prepare`. Fixtures are read once, outside every measurement, from the main package's test fixtures.
import Benchmark
import Foundation
import Logging
import NIOCore
import SpoorModel
import SpoorStorage
import SpoorWire
import SwiftProtobuf

/// Root of the main package (this file is `benchmarks/micro/Benchmarks/SpoorMicro/SpoorMicro.swift`).
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The bytes of a fixture under `Tests/SpoorWireTests/Fixtures`; stops the run when it is missing.
private func fixture(_ relativePath: String) -> ByteBuffer {
    let url = repositoryRoot.appendingPathComponent("Tests/SpoorWireTests/Fixtures").appendingPathComponent(relativePath)
    guard let data = try? Data(contentsOf: url) else { fatalError("missing fixture \(url.path)") }
    return ByteBuffer(bytes: data)
}

/// A typical server span: 10 tags of mixed types, one log with 3 fields, one parent reference, 3 process tags.
private func typicalSpan(index: UInt64 = 0, traceID: TraceID = TraceID(high: 0x0123_4567_89AB_CDEF, low: 0x1122_3344_5566_7788))
    -> Span
{
    let start: UInt64 = 1_764_000_000_000_000_000 &+ index &* 1_000_000
    return Span(
        traceID: traceID, spanID: SpanID(0xA000 &+ index), operationName: "GET /api/orders/{id}",
        references: [SpanReference(refType: .childOf, traceID: traceID, spanID: SpanID(0x9000 &+ index / 10))],
        flags: 1, startTimeUnixNanos: start, durationNanos: 1_234_567 &+ index,
        tags: [
            .string("span.kind", "server"),
            .string("http.method", "GET"),
            .string("http.route", "/api/orders/{id}"),
            .string("http.url", "https://shop.example.com/api/orders/\(index)"),
            .int64("http.status_code", 200),
            .string("component", "hummingbird"),
            .string("peer.address", "10.1.2.3:51234"),
            .bool("error", false),
            .float64("sampler.param", 1.0),
            .int64("response.size", 4_096),
        ],
        logs: [
            SpanLog(
                timestampUnixNanos: start &+ 500_000,
                fields: [.string("event", "cache miss"), .string("cache", "orders"), .int64("attempt", 1)])
        ],
        process: Process(
            serviceName: "order-service",
            tags: [.string("hostname", "order-7f9c"), .string("ip", "10.1.2.3"), .string("jaeger.version", "Go-2.30.0")]))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    // MARK: Thrift

    let compactDatagram = fixture("thrift/otel-jaeger-udp-00.compact.bin")
    Benchmark("Thrift compact emitBatch decode (1 span, 602 B fixture)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JaegerThrift.decodeAgentDatagram(compactDatagram, protocol: .compact))
        }
    }

    let binaryDatagram = fixture("thrift/otel-jaeger-udp-00.binary.bin")
    Benchmark("Thrift binary emitBatch decode (1 span, 874 B fixture)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JaegerThrift.decodeAgentDatagram(binaryDatagram, protocol: .binary))
        }
    }

    let binaryBatch = fixture("thrift/otel-jaeger-http-00.thrift-binary.bin")
    Benchmark("Thrift binary Batch decode (1 span, 851 B fixture)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JaegerThrift.decodeBatch(binary: binaryBatch))
        }
    }

    // 50 typical spans of one process, encoded by Spoor's own Thrift encoder (the fixtures hold one span each).
    let manySpans = (0..<50).map { typicalSpan(index: UInt64($0)) }
    let manyProcess = manySpans[0].process
    let compactMany = ByteBuffer(
        bytes: JaegerThrift.encodeEmitBatch(process: manyProcess, spans: manySpans, protocol: .compact))
    Benchmark("Thrift compact emitBatch decode (50 spans, \(compactMany.readableBytes) B)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JaegerThrift.decodeAgentDatagram(compactMany, protocol: .compact))
        }
    }

    let binaryMany = ByteBuffer(bytes: JaegerThrift.encodeBatch(process: manyProcess, spans: manySpans, protocol: .binary))
    Benchmark("Thrift binary Batch decode (50 spans, \(binaryMany.readableBytes) B)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JaegerThrift.decodeBatch(binary: binaryMany))
        }
    }

    // MARK: OTLP

    let otlpProtobuf = fixture("otlp/otlp-http-03.otlp.pb")
    Benchmark("OTLP protobuf decode + convert (1 span, 470 B fixture)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try OTLPDecoder.decodeProtobuf(otlpProtobuf))
        }
    }

    let otlpJSON = fixture("otlp/storage-traces/example_trace.json")
    Benchmark("OTLP JSON decode + convert (5 spans, 3.8 KB fixture)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try OTLPDecoder.decodeJSON(otlpJSON))
        }
    }

    // A 500-span request, about what the load generator sends: the storage suite's example trace (5 spans, 3
    // services) repeated 100 times; decoded by the direct reader and by the generated messages + converter it replaced.
    let exampleRequest = try! OTLPDecoder.decodeJSONRequest(otlpJSON)
    var largeRequest = OTLPExportRequest()
    for _ in 0..<100 { largeRequest.resourceSpans += exampleRequest.resourceSpans }
    let largeBytes: [UInt8] = try! largeRequest.serializedBytes()
    Benchmark("OTLP protobuf decode, direct reader (500 spans, \(largeBytes.count) B)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try OTLPDecoder.decodeProtobuf(largeBytes))
        }
    }
    Benchmark("OTLP protobuf decode, generated messages + converter (500 spans, \(largeBytes.count) B)") { benchmark in
        for _ in benchmark.scaledIterations {
            let request = try OTLPExportRequest(serializedBytes: largeBytes)
            blackHole(try OTLPDecoder.spans(from: request))
        }
    }

    // MARK: Keys

    let span = typicalSpan()
    Benchmark("Keys.span") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                Keys.span(
                    tenant: "", traceID: span.traceID, start: span.startTimeUnixNanos, spanID: span.spanID,
                    contentHash: 0xDEAD_BEEF))
        }
    }

    Benchmark("Keys.tagPrefix + start + spanID") { benchmark in
        for _ in benchmark.scaledIterations {
            var key = Keys.tagPrefix(tenant: "", service: "order-service", key: "http.route", value: "/api/orders/{id}")
            Keys.appendUInt64(span.startTimeUnixNanos, to: &key)
            Keys.appendUInt64(span.spanID.value, to: &key)
            blackHole(key)
        }
    }

    // MARK: Value format

    Benchmark("StoredSpanCodec.encode (10 tags, 1 log)") { benchmark in
        for _ in benchmark.scaledIterations {
            var out: [UInt8] = []
            StoredSpanCodec.encode(span, into: &out)
            blackHole(out)
        }
    }

    var encoded: [UInt8] = []
    StoredSpanCodec.encode(span, into: &encoded)
    let storedValue = encoded
    Benchmark("StoredSpanCodec.decode (10 tags, 1 log)") { benchmark in
        for _ in benchmark.scaledIterations {
            let decoded = try storedValue.withUnsafeBytes { bytes in
                try StoredSpanCodec.decode(
                    bytes, traceID: span.traceID, spanID: span.spanID, startTimeUnixNanos: span.startTimeUnixNanos)
            }
            blackHole(decoded)
        }
    }

    // MARK: SpanStore.prepare

    // 500 spans: 50 traces of 10 spans. Setup opens a store (RocksDB in a temporary directory); one write before the
    // measurement makes the chunks' shared names durable, and the measured prepares are never written.
    let batch: [Span] = (0..<500).map { index in
        typicalSpan(index: UInt64(index), traceID: TraceID(high: 0x0123_4567_89AB_CDEF, low: UInt64(index / 10)))
    }
    let scratch = ScratchStore()
    Benchmark(
        "SpanStore.prepare (500 spans)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .microseconds,
            setup: { try scratch.open() }, teardown: { scratch.close() })
    ) { benchmark in
        guard let store = scratch.store else { fatalError("setup did not open the store") }
        // One write makes the batch's shared chunk names durable, as in a running server: later prepares carry none.
        _ = try? store.write([store.prepare(tenant: "", spans: batch)], now: batch[0].startTimeUnixNanos)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(store.prepare(tenant: "", spans: batch))
        }
    }
}

/// A span store in a temporary directory, opened by a benchmark's setup and removed by its teardown.
private final class ScratchStore: @unchecked Sendable {
    private(set) var store: SpanStore?
    private let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("spoor-micro-\(ProcessInfo.processInfo.processIdentifier)")

    func open() throws {
        store = try SpanStore(path: directory.path, logger: Logger(label: "spoor.micro"))
    }

    func close() {
        store?.close()
        store = nil
        try? FileManager.default.removeItem(at: directory)
    }
}
