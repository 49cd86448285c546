import ArgumentParser
import Foundation
import Logging
import NIOCore
import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorWire

/// `spoor bench-query`: builds a dataset of realistic traces straight into a store (no network), then times the
/// queries the UI makes against it and prints p50/p99 per query kind.
///
/// Queries run in process through the same `TraceSearch` and JSON writers the HTTP routes use; HTTP framing is not
/// included. The dataset is kept in `--data-dir`, so later runs can skip the build (`--spans 0`).
struct BenchQueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-query", abstract: "Build a span dataset and time trace, search, dependency and metric queries.")

    @Option(name: .customLong("data-dir"), help: "Store directory (created when missing; the server must be stopped).")
    var dataDir = "./bench-data"

    @Option(help: "Spans to add before querying (0 = query the existing dataset).")
    var spans = 1_000_000

    @Option(help: "Hours the span start times are spread over, ending now.")
    var hours = 24

    @Option(help: "Iterations per query kind.")
    var iterations = 200

    @Option(help: "Number of distinct services.")
    var services = 6

    @Flag(help: "After querying, time retention dropping every bucket (destroys the dataset).")
    var measureRetention = false

    func run() async throws {
        var configuration = StoreConfiguration()
        configuration.retentionNanos = UInt64(max(hours, 1) + 48) * 3_600_000_000_000
        let logger = Logger(label: "spoor-bench")
        let opened = ContinuousClock.now
        let store = try SpanStore(path: dataDir, configuration: configuration, logger: logger)
        print("open store (catalog load): \(Self.ms(ContinuousClock.now - opened)) ms")
        defer { store.close() }
        let idsPath = dataDir + "/bench-trace-ids.txt"
        if spans > 0 { try build(store, idsPath: idsPath) }
        let ids = (try? String(contentsOfFile: idsPath, encoding: .utf8))?.split(separator: "\n").compactMap { TraceID(hex: String($0)) } ?? []
        guard !ids.isEmpty else { throw ValidationError("no sampled trace ids in \(idsPath): build a dataset first") }
        try query(store, ids: ids)
        if measureRetention {
            let started = ContinuousClock.now
            let dropped = try store.applyRetention(now: UInt64.max / 2)
            print("retention: dropped \(dropped) buckets in \(Self.ms(ContinuousClock.now - started)) ms")
        }
    }

    // MARK: - Dataset

    private func build(_ store: SpanStore, idsPath: String) throws {
        var generator = TraceGenerator(seed: UInt64(Date().timeIntervalSince1970 * 1e6), services: services)
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        let spread = UInt64(hours) * 3_600_000_000_000
        var sampled: [String] = []
        var written = 0
        let batch = 5_000
        let started = ContinuousClock.now
        while written < spans {
            let request = generator.request(spans: min(batch, spans - written))
            let bytes: [UInt8] = try request.serializedBytes()
            var decoded = try OTLPDecoder.decodeProtobuf(ByteBuffer(bytes: bytes))
            // Spread the batches over the window, oldest first, as if they had arrived over `hours`.
            let shift = spread / UInt64(spans) * UInt64(max(0, spans - written - decoded.count))
            for i in decoded.indices {
                decoded[i].startTimeUnixNanos -= min(shift, decoded[i].startTimeUnixNanos)
                for j in decoded[i].logs.indices { decoded[i].logs[j].timestampUnixNanos -= min(shift, decoded[i].logs[j].timestampUnixNanos) }
            }
            if let first = decoded.first, sampled.count < 5_000 { sampled.append(first.traceID.hex32) }
            _ = try store.write([store.prepare(tenant: "", spans: decoded)], now: now)
            store.flushIndexIfDue(now: now)
            written += decoded.count
            if written % 1_000_000 < batch {
                print("  \(written) spans, \(Int(Double(written) / Self.seconds(ContinuousClock.now - started))) spans/s")
            }
        }
        let elapsed = Self.seconds(ContinuousClock.now - started)
        print("dataset: \(written) spans written in \(String(format: "%.1f", elapsed)) s (\(Int(Double(written) / elapsed)) spans/s)")
        let previous = (try? String(contentsOfFile: idsPath, encoding: .utf8)) ?? ""
        try (previous + sampled.joined(separator: "\n") + "\n").write(toFile: idsPath, atomically: true, encoding: .utf8)
        try store.database.flushAll()
    }

    // MARK: - Queries

    private func query(_ store: SpanStore, ids: [TraceID]) throws {
        let search = TraceSearch(store: store)
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        let hour: UInt64 = 3_600_000_000_000
        let serviceNames = search.services(tenant: "")
        guard !serviceNames.isEmpty else { throw ValidationError("the store has no services") }
        var rng = SystemRandomNumberGenerator()
        func service() -> String { serviceNames[Int.random(in: 0..<serviceNames.count, using: &rng)] }
        func operation(_ service: String) -> String {
            let ops = search.operations(tenant: "", service: service)
            return ops.isEmpty ? "" : ops[Int.random(in: 0..<ops.count, using: &rng)].name
        }
        // The UI's default search: the last hour, 20 traces.
        func uiQuery(_ service: String?) -> TraceQuery {
            TraceQuery(serviceName: service, startTimeMinUnixNanos: now - hour, startTimeMaxUnixNanos: now, limit: 20)
        }
        print("queries: \(iterations) iterations each, in process (TraceSearch + JSON), dataset services: \(serviceNames.count)")
        print(String(repeating: "-", count: 78))
        print("query".padding(toLength: 44, withPad: " ", startingAt: 0) + "   p50 ms   p99 ms  mean ms  results")
        try time("trace by id") {
            let spans = try search.trace(tenant: "", id: ids[Int.random(in: 0..<ids.count, using: &rng)]) ?? []
            return (UIJSON.traces([spans]).count, spans.isEmpty ? 0 : 1)
        }
        try time("search: service (last 1h, limit 20)") {
            let traces = try search.find(tenant: "", query: uiQuery(service()))
            return (UIJSON.traces(traces).count, traces.count)
        }
        try time("search: service + operation") {
            let s = service()
            var q = uiQuery(s)
            q.operationName = operation(s)
            let traces = try search.find(tenant: "", query: q)
            return (UIJSON.traces(traces).count, traces.count)
        }
        try time("search: service + one tag (http.status_code=500)") {
            var q = uiQuery(service())
            q.tags = [TagFilter(key: "http.status_code", value: "500")]
            let traces = try search.find(tenant: "", query: q)
            return (UIJSON.traces(traces).count, traces.count)
        }
        try time("search: service + two tags (+ error=true)") {
            var q = uiQuery(service())
            q.tags = [TagFilter(key: "http.status_code", value: "500"), TagFilter(key: "error", value: "true")]
            let traces = try search.find(tenant: "", query: q)
            return (UIJSON.traces(traces).count, traces.count)
        }
        try time("search: service + duration 10ms..20ms") {
            var q = uiQuery(service())
            q.durationMinNanos = 10_000_000
            q.durationMaxNanos = 20_000_000
            let traces = try search.find(tenant: "", query: q)
            return (UIJSON.traces(traces).count, traces.count)
        }
        try time("search: service + whole-trace duration >= 50ms") {
            var q = uiQuery(service())
            q.traceDurationMinNanos = 50_000_000
            let traces = try search.find(tenant: "", query: q)
            return (UIJSON.traces(traces).count, traces.count)
        }
        try time("search: no service, one tag (error=true)") {
            var q = uiQuery(nil)
            q.tags = [TagFilter(key: "error", value: "true")]
            let traces = try search.find(tenant: "", query: q)
            return (UIJSON.traces(traces).count, traces.count)
        }
        try time("services list") {
            let list = search.services(tenant: "")
            return (UIJSON.stringList(list).count, list.count)
        }
        try time("operations list") {
            let ops = search.operations(tenant: "", service: service())
            return (UIJSON.operations(ops.map { (name: $0.name, spanKind: $0.kind.name) }).count, ops.count)
        }
        try time("dependencies (7 days)") {
            let links = try store.dependencies(tenant: "", startNanos: now - 168 * hour, endNanos: now)
            return (links.count, links.count)
        }
        try time("metrics rollups: service, server kind, 1 h by minute") {
            let slots = try store.rollups(
                tenant: "", service: service(), kinds: [.server], startNanos: now - hour, endNanos: now, resolution: .minute)
            return (slots.count, slots.count)
        }
        try time("metrics rollups: service, server kind, 7 days by hour") {
            let slots = try store.rollups(
                tenant: "", service: service(), kinds: [.server], startNanos: now - 168 * hour, endNanos: now, resolution: .hour)
            return (slots.count, slots.count)
        }
    }

    private func time(_ name: String, _ body: () throws -> (bytes: Int, results: Int)) throws {
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        var results = 0
        for _ in 0..<iterations {
            let started = ContinuousClock.now
            let outcome = try body()
            samples.append(Self.seconds(ContinuousClock.now - started) * 1000)
            results += outcome.results
        }
        samples.sort()
        let p50 = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        let mean = samples.reduce(0, +) / Double(samples.count)
        let columns = [p50, p99, mean].map { String(format: "%9.2f", $0) }.joined()
        print(name.padding(toLength: 44, withPad: " ", startingAt: 0) + columns + String(format: "  %7.1f", Double(results) / Double(iterations)))
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private static func ms(_ d: Duration) -> String { String(format: "%.1f", seconds(d) * 1000) }
}
