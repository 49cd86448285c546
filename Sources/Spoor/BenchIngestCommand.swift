import ArgumentParser
import Foundation
import Logging
import NIOCore
import SpoorModel
import SpoorStorage
import SpoorWire

#if canImport(Glibc)
import Glibc
#endif

/// `spoor bench-ingest`: the server's per-span ingest work, stage by stage, on one thread and without the network.
///
/// Requests come from the load generator's templates (`LoadgenTemplates`, ids re-stamped on every send) and go through
/// the same calls the collectors and the writer make: decode, `SpanStore.prepare`, `SpanStore.write` and the index
/// flushes. Each stage is timed in thread CPU time, so the figures do not depend on scheduling or on other load the way
/// a wall-clock rate does; RocksDB's own background threads (memtable flushes, compactions) are reported apart, as the
/// process CPU beyond the stages. Network framing (gRPC, HTTP) is not included.
struct BenchIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ingest", abstract: "Time decoding, preparing, writing and index flushes per span, in process.")

    @Option(name: .customLong("data-dir"), help: "Store directory (default: a temporary one, removed afterwards).")
    var dataDir: String?

    @Option(help: "Wire format decoded: otlp-grpc (protobuf) or thrift-http (Thrift binary Batch).")
    var `protocol` = "otlp-grpc"

    @Option(help: "Requests to ingest.")
    var requests = 2_000

    @Option(help: "Spans per request.")
    var batch = 500

    @Option(help: "Distinct requests generated, re-sent with new trace ids.")
    var templates = 64

    @Option(help: "Number of distinct services.")
    var services = 6

    @Option(help: "Requests not timed at the start (allocator and memtable warm-up).")
    var warmup = 100

    @Flag(help: "Measure the floor instead: decode, then one chunk record per trace written through the WAL, nothing indexed.")
    var floor = false

    func validate() throws {
        guard requests > 0, batch > 0, templates > 0, services > 0, warmup >= 0 else {
            throw ValidationError("--requests, --batch, --templates and --services must be positive")
        }
        guard ["otlp-grpc", "thrift-http"].contains(`protocol`) else {
            throw ValidationError("--protocol must be otlp-grpc or thrift-http")
        }
    }

    func run() throws {
        let kind: LoadgenProtocol = `protocol` == "otlp-grpc" ? .otlpGRPC : .thriftHTTP
        let source = try LoadgenTemplates(count: templates, batch: batch, services: services, seed: 42, protocol: kind)
        let temporary = dataDir == nil
        let path = dataDir ?? NSTemporaryDirectory() + "spoor-bench-ingest-\(getpid())"
        defer { if temporary { try? FileManager.default.removeItem(atPath: path) } }
        if floor {
            try runFloor(source: source, kind: kind, path: path)
            return
        }
        let store = try SpanStore(path: path, configuration: StoreConfiguration(), logger: Logger(label: "spoor-bench"))
        var stages = [Duration](repeating: .zero, count: 4)  // decode, prepare, write, flush
        var spans = 0
        var processStart = Self.processCPU()
        for request in 0..<(warmup + requests) {
            if request == warmup {
                stages = [Duration](repeating: .zero, count: 4)
                spans = 0
                processStart = Self.processCPU()
            }
            for message in source.next().messages {
                var clock = Self.threadCPU()
                func lap(_ stage: Int) {
                    let now = Self.threadCPU()
                    stages[stage] += now - clock
                    clock = now
                }
                let decoded =
                    kind == .otlpGRPC
                    ? try OTLPDecoder.decodeProtobuf(message.bytes)
                    : try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: message.bytes))
                lap(0)
                let prepared = store.prepare(tenant: "", spans: decoded)
                lap(1)
                let now = UInt64(Date().timeIntervalSince1970 * 1e9)
                _ = try store.write([prepared], now: now)
                lap(2)
                store.flushIndexIfDue(now: now)
                lap(3)
                spans += decoded.count
            }
        }
        var clock = Self.threadCPU()
        try store.flushIndex(now: UInt64(Date().timeIntervalSince1970 * 1e9))
        stages[3] += Self.threadCPU() - clock
        clock = Self.threadCPU()
        store.close()
        let closing = Self.threadCPU() - clock
        let process = Self.processCPU() - processStart
        let staged = stages.reduce(.zero, +) + closing
        func perSpan(_ duration: Duration) -> String { String(format: "%6.2f", Self.micros(duration) / Double(spans)) }
        print("bench-ingest: \(`protocol`), \(spans) spans in \(requests) requests of \(batch), \(templates) templates")
        print("stage                 µs/span (thread CPU)")
        for (name, duration) in zip(["decode", "prepare", "write", "index flush"], stages) {
            print("\(name.padding(toLength: 22, withPad: " ", startingAt: 0))\(perSpan(duration))")
        }
        print("close (memtable flush) \(perSpan(closing))")
        print("all stages            \(perSpan(staged))")
        print("RocksDB background    \(perSpan(process - staged))")
        print("process               \(perSpan(process))  (2 cores at this cost: \(Int(2e6 / (Self.micros(process) / Double(spans)))) spans/s)")
    }

    /// `--floor`: decode and `ChunkOnlyStore.write` per message, timed like the stages above.
    private func runFloor(source: LoadgenTemplates, kind: LoadgenProtocol, path: String) throws {
        let store = try ChunkOnlyStore(path: path)
        var stages = [Duration](repeating: .zero, count: 2)  // decode, store
        var spans = 0
        var chunks = 0
        var processStart = Self.processCPU()
        for request in 0..<(warmup + requests) {
            if request == warmup {
                stages = [Duration](repeating: .zero, count: 2)
                spans = 0
                chunks = 0
                processStart = Self.processCPU()
            }
            for message in source.next().messages {
                let start = Self.threadCPU()
                let decoded =
                    kind == .otlpGRPC
                    ? try OTLPDecoder.decodeProtobuf(message.bytes)
                    : try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: message.bytes))
                let decodedAt = Self.threadCPU()
                chunks += try store.write(tenant: "", spans: decoded)
                stages[0] += decodedAt - start
                stages[1] += Self.threadCPU() - decodedAt
                spans += decoded.count
            }
        }
        store.close()
        let process = Self.processCPU() - processStart
        func perSpan(_ duration: Duration) -> String { String(format: "%6.2f", Self.micros(duration) / Double(spans)) }
        print("bench-ingest --floor: \(`protocol`), \(spans) spans in \(requests) requests of \(batch), \(chunks) chunk records, nothing indexed")
        print("stage                 µs/span (thread CPU)")
        print("decode                \(perSpan(stages[0]))")
        print("store chunks (WAL)    \(perSpan(stages[1]))")
        print("RocksDB background    \(perSpan(process - stages[0] - stages[1]))")
        print("process               \(perSpan(process))  (2 cores at this cost: \(Int(2e6 / (Self.micros(process) / Double(spans)))) spans/s)")
    }

    private static func micros(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    private static func threadCPU() -> Duration { clock(CLOCK_THREAD_CPUTIME_ID) }

    private static func processCPU() -> Duration { clock(CLOCK_PROCESS_CPUTIME_ID) }

    private static func clock(_ id: clockid_t) -> Duration {
        var time = timespec()
        clock_gettime(id, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
