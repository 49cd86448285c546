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

    @OptionGroup var workload: WorkloadOptions

    @Option(help: "Distinct requests generated, re-sent with new trace ids.")
    var templates = 64

    @Option(
        help: """
            Wire messages (HTTP or gRPC requests) per store write. The server's writer commits whatever requests are \
            queued in one batch: 5–8 of them with 32 concurrent 500-span requests.
            """)
    var group = 1

    @Option(help: "Requests not timed at the start (allocator and memtable warm-up).")
    var warmup = 100

    @Flag(help: "Measure the floor instead: decode, then one chunk record per trace written through the WAL, nothing indexed.")
    var floor = false

    func validate() throws {
        guard requests > 0, templates > 0, group > 0, warmup >= 0 else {
            throw ValidationError("--requests, --templates and --group must be positive, --warmup not negative")
        }
        guard ["otlp-grpc", "thrift-http"].contains(`protocol`) else {
            throw ValidationError("--protocol must be otlp-grpc or thrift-http")
        }
    }

    func run() throws {
        let kind: LoadgenProtocol = `protocol` == "otlp-grpc" ? .otlpGRPC : .thriftHTTP
        let source = try LoadgenTemplates(
            count: templates, batch: workload.batch, services: workload.services, seed: 42, protocol: kind,
            resourceAttributes: workload.resourceAttributes)
        let temporary = dataDir == nil
        let path = dataDir ?? NSTemporaryDirectory() + "spoor-bench-ingest-\(getpid())"
        defer { if temporary { try? FileManager.default.removeItem(atPath: path) } }
        if floor {
            try runFloor(source: source, kind: kind, path: path)
            return
        }
        let store = try SpanStore(path: path, configuration: StoreConfiguration(), logger: Logger(label: "spoor-bench"))
        // Stages: decode, prepare, write, index flush. Prepared messages are written `group` at a time, as the
        // server's writer commits the requests queued meanwhile in one batch.
        var queued: [PreparedWrite] = []
        func writeQueued(_ laps: inout StageLaps) throws {
            guard !queued.isEmpty else { return }
            let now = UInt64(Date().timeIntervalSince1970 * 1e9)
            _ = try store.write(queued, now: now)
            queued.removeAll(keepingCapacity: true)
            laps.lap(2)
            store.flushIndexIfDue(now: now)
            laps.lap(3)
        }
        var run = try timeRequests(source: source, kind: kind, stages: 4) { decoded, laps in
            queued.append(store.prepare(tenant: "", spans: decoded))
            laps.lap(1)
            if queued.count >= group { try writeQueued(&laps) }
            return 0
        }
        run.laps.restart()
        try writeQueued(&run.laps)
        run.laps.restart()
        try store.flushIndex(now: UInt64(Date().timeIntervalSince1970 * 1e9))
        run.laps.lap(3)
        let clock = Self.threadCPU()
        store.close()
        let closing = Self.threadCPU() - clock
        let process = Self.processCPU() - run.processStart
        let staged = run.laps.durations.reduce(.zero, +) + closing
        let perSpan = { (duration: Duration) in Self.perSpan(duration, spans: run.spans) }
        print(
            "bench-ingest: \(`protocol`), \(run.spans) spans in \(requests) requests of \(workload.batch), \(templates) templates, \(group) message(s) per write")
        print("stage                 µs/span (thread CPU)")
        for (name, duration) in zip(["decode", "prepare", "write", "index flush"], run.laps.durations) {
            print("\(name.padding(toLength: 22, withPad: " ", startingAt: 0))\(perSpan(duration))")
        }
        print("close (memtable flush) \(perSpan(closing))")
        print("all stages            \(perSpan(staged))")
        print("RocksDB background    \(perSpan(process - staged))")
        print(Self.processLine(process, spans: run.spans))
    }

    /// `--floor`: decode and `ChunkOnlyStore.write` per message, timed like the stages above.
    private func runFloor(source: LoadgenTemplates, kind: LoadgenProtocol, path: String) throws {
        let store = try ChunkOnlyStore(path: path)
        // Stages: decode, store.
        let run = try timeRequests(source: source, kind: kind, stages: 2) { decoded, laps in
            defer { laps.lap(1) }
            return try store.write(tenant: "", spans: decoded)
        }
        store.close()
        let process = Self.processCPU() - run.processStart
        let (decode, write) = (run.laps.durations[0], run.laps.durations[1])
        print("bench-ingest --floor: \(`protocol`), \(run.spans) spans in \(requests) requests of \(workload.batch), \(run.counted) chunk records, nothing indexed")
        print("stage                 µs/span (thread CPU)")
        print("decode                \(Self.perSpan(decode, spans: run.spans))")
        print("store chunks (WAL)    \(Self.perSpan(write, spans: run.spans))")
        print("RocksDB background    \(Self.perSpan(process - decode - write, spans: run.spans))")
        print(Self.processLine(process, spans: run.spans))
    }

    /// Thread CPU time per stage, measured as laps from one clock.
    private struct StageLaps {
        private(set) var durations: [Duration]
        private var clock = BenchIngestCommand.threadCPU()

        init(stages: Int) { durations = [Duration](repeating: .zero, count: stages) }

        /// Starts the next lap now.
        mutating func restart() { clock = BenchIngestCommand.threadCPU() }

        /// Adds the time since the last lap to `stage`.
        mutating func lap(_ stage: Int) {
            let now = BenchIngestCommand.threadCPU()
            durations[stage] += now - clock
            clock = now
        }
    }

    /// Runs `warmup + requests` template requests: each message is decoded (stage 0, timed here) and handed to
    /// `ingest`, which times its own stages and returns a count to add up. Only the requests after the warm-up count.
    private func timeRequests(
        source: LoadgenTemplates, kind: LoadgenProtocol, stages: Int, _ ingest: ([Span], inout StageLaps) throws -> Int
    ) throws -> (laps: StageLaps, spans: Int, counted: Int, processStart: Duration) {
        var laps = StageLaps(stages: stages)
        var spans = 0
        var counted = 0
        var processStart = Self.processCPU()
        for request in 0..<(warmup + requests) {
            if request == warmup {
                laps = StageLaps(stages: stages)
                spans = 0
                counted = 0
                processStart = Self.processCPU()
            }
            for message in source.next().messages {
                laps.restart()
                let decoded =
                    kind == .otlpGRPC
                    ? try OTLPDecoder.decodeProtobuf(message.bytes)
                    : try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: message.bytes))
                laps.lap(0)
                counted += try ingest(decoded, &laps)
                spans += decoded.count
            }
        }
        return (laps, spans, counted, processStart)
    }

    private static func perSpan(_ duration: Duration, spans: Int) -> String {
        String(format: "%6.2f", micros(duration) / Double(spans))
    }

    /// The process CPU per span, and the rate two cores would reach at that cost.
    private static func processLine(_ process: Duration, spans: Int) -> String {
        "process               \(perSpan(process, spans: spans))  (2 cores at this cost: \(Int(2e6 / (micros(process) / Double(spans)))) spans/s)"
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
