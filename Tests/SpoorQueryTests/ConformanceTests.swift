import Foundation
import NIOCore
import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorTestSupport
import SpoorWire
import Testing

/// Jaeger's storage-integration suite through Spoor's OTLP decoder, RocksDB store and search.
@Suite(.serialized)
struct ConformanceTests {
    struct Query: Decodable {
        var ServiceName: String
        var OperationName: String
        var Tags: [String: TagValue]?
        var StartTimeMin: String
        var StartTimeMax: String
        var DurationMin: UInt64
        var DurationMax: UInt64
        var NumTraces: Int
    }

    struct Case: Decodable {
        var Caption: String
        var Query: Query
        var ExpectedFixtures: [String]
    }

    /// A typed tag value of queries.json, compared by its string form as Jaeger does.
    enum TagValue: Decodable {
        case text(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                self = .text(b ? "true" : "false")
            } else if let i = try? c.decode(Int64.self) {
                self = .text(String(i))
            } else if let d = try? c.decode(Double.self) {
                self = .text(FloatFormat.shortest(d))
            } else {
                self = .text(try c.decode(String.self))
            }
        }
        var string: String {
            switch self { case .text(let s): return s }
        }
    }

    /// Cases whose predicates live where the Jaeger model has no place (scope and link attributes); Jaeger skips
    /// them for every backend that stores the Jaeger model (Badger, Cassandra, Elasticsearch).
    static let modelCannotCarry: Set<String> = ["Scope Attributes", "Link Attributes"]

    static let fixtureRoot: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/jaeger-storage")

    static func loadCases() throws -> [Case] {
        let data = try Data(contentsOf: fixtureRoot.appendingPathComponent("queries.json"))
        return try JSONDecoder().decode([Case].self, from: data)
    }

    static func loadTrace(_ name: String) throws -> [Span] {
        let data = try Data(contentsOf: fixtureRoot.appendingPathComponent("traces/\(name).json"))
        return try OTLPDecoder.decodeJSON(ByteBuffer(bytes: data))
    }

    static func nanos(_ rfc3339: String) throws -> UInt64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: rfc3339) else { throw CocoaError(.formatting) }
        // ISO8601DateFormatter keeps milliseconds only: add the microsecond digits back.
        var micros: UInt64 = 0
        if let dot = rfc3339.firstIndex(of: "."), let z = rfc3339.firstIndex(of: "Z") {
            let digits = String(rfc3339[rfc3339.index(after: dot)..<z]).padding(toLength: 6, withPad: "0", startingAt: 0)
            micros = UInt64(digits.prefix(6)) ?? 0
        }
        let seconds = UInt64(date.timeIntervalSince1970.rounded(.down))
        return seconds * 1_000_000_000 + micros * 1000
    }

    static func query(_ q: Query) throws -> TraceQuery {
        TraceQuery(
            serviceName: q.ServiceName, operationName: q.OperationName.isEmpty ? nil : q.OperationName,
            tags: (q.Tags ?? [:]).map { TagFilter(key: $0.key, value: $0.value.string) }.sorted { $0.key < $1.key },
            startTimeMinUnixNanos: try nanos(q.StartTimeMin), startTimeMaxUnixNanos: try nanos(q.StartTimeMax),
            durationMinNanos: q.DurationMin == 0 ? nil : q.DurationMin, durationMaxNanos: q.DurationMax == 0 ? nil : q.DurationMax,
            limit: q.NumTraces)
    }

    /// Writes every fixture any query expects, once, then runs `body`.
    static func withLoadedStore(_ body: (TraceSearch, [Case], [String: [Span]]) throws -> Void) throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: UInt64.max / 4)
        defer { store.close() }
        let cases = try loadCases()
        var fixtures: [String: [Span]] = [:]
        for name in Set(cases.flatMap(\.ExpectedFixtures)).sorted() {
            let spans = try loadTrace(name)
            fixtures[name] = spans
            // Jaeger's e2e writer sends at most 5 spans per request; do the same so traces merge across writes.
            for start in stride(from: 0, to: spans.count, by: 5) {
                let chunk = Array(spans[start..<min(start + 5, spans.count)])
                _ = try store.write([store.prepare(tenant: "", spans: chunk)], now: 1_500_000_000 * 1_000_000_000)
            }
        }
        try body(TraceSearch(store: store), cases, fixtures)
    }

    @Test func everyQueryReturnsExactlyTheExpectedTraces() throws {
        try Self.withLoadedStore { search, cases, fixtures in
            var checked = 0
            for c in cases where !Self.modelCannotCarry.contains(c.Caption) {
                let found = try search.find(tenant: "", query: try Self.query(c.Query))
                let expected = c.ExpectedFixtures.compactMap { fixtures[$0] }
                #expect(Set(found.compactMap { $0.first?.traceID }) == Set(expected.compactMap { $0.first?.traceID }), "\(c.Caption)")
                // Whole traces: the multiset of span ids matches (catches a missing out-of-window span).
                let foundSpans = found.flatMap { $0.map(\.spanID) }.sorted()
                let expectedSpans = expected.flatMap { $0.map(\.spanID) }.sorted()
                #expect(foundSpans == expectedSpans, "\(c.Caption)")
                checked += 1
            }
            #expect(checked == 23)
        }
    }

    @Test func changingAnyOneFilterFindsNothing() throws {
        try Self.withLoadedStore { search, cases, _ in
            var variants = 0
            for c in cases where !Self.modelCannotCarry.contains(c.Caption) {
                let base = try Self.query(c.Query)
                var mutations: [(String, TraceQuery)] = []
                var q = base
                q.serviceName = "nonexistent-service"
                mutations.append(("other service", q))
                q = base
                q.startTimeMinUnixNanos -= 3 * 3_600_000_000_000
                q.startTimeMaxUnixNanos -= 3 * 3_600_000_000_000
                mutations.append(("window 3h earlier", q))
                q = base
                q.durationMinNanos = 3_600_000_000_000
                q.durationMaxNanos = nil
                mutations.append(("min duration 1h", q))
                if base.operationName != nil {
                    q = base
                    q.operationName = "nonexistent-operation"
                    mutations.append(("other operation", q))
                }
                for (index, tag) in base.tags.enumerated() {
                    q = base
                    q.tags[index] = TagFilter(key: tag.key, value: tag.value + "-not")
                    mutations.append(("tag \(tag.key) changed", q))
                    q = base
                    q.tags[index] = TagFilter(key: tag.key + "-absent", value: tag.value)
                    mutations.append(("tag key \(tag.key) changed", q))
                }
                if let max = base.durationMaxNanos {
                    q = base
                    q.durationMinNanos = max + 1
                    q.durationMaxNanos = max + 2
                    mutations.append(("duration range above max", q))
                }
                for (name, mutated) in mutations {
                    let found = try search.find(tenant: "", query: mutated)
                    #expect(found.isEmpty, "\(c.Caption): \(name) still matched \(found.compactMap { $0.first?.traceID.uiString })")
                    variants += 1
                }
                if !base.tags.isEmpty {
                    q = base
                    q.tags = []
                    #expect(!(try search.find(tenant: "", query: q)).isEmpty, "\(c.Caption): without tags must still match")
                }
            }
            #expect(variants > 80)
        }
    }

    @Test func limitKeepsTheNewestTraces() throws {
        try Self.withLoadedStore { search, cases, _ in
            guard let multiple = cases.first(where: { $0.Caption == "Multiple Traces" }) else {
                Issue.record("Multiple Traces case missing")
                return
            }
            var q = try Self.query(multiple.Query)
            q.limit = 2
            #expect(try search.find(tenant: "", query: q).count == 2)
        }
    }

    @Test func servicesAndOperationsComeFromTheCatalog() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: UInt64.max / 4)
        defer { store.close() }
        _ = try store.write([store.prepare(tenant: "", spans: try Self.loadTrace("example_trace"))], now: 1_500_000_000 * 1_000_000_000)
        let search = TraceSearch(store: store)
        #expect(search.services(tenant: "") == ["example-service-1", "example-service-2", "example-service-3"])
        let ops = search.operations(tenant: "", service: "example-service-1").map { "\($0.name)/\($0.kind.name)" }
        #expect(ops == ["example-operation-1/", "example-operation-3/server", "example-operation-4/client"])
        #expect(try search.trace(tenant: "", id: TraceID(high: 0, low: 0x11))?.count == 5)
        #expect(try search.trace(tenant: "", id: TraceID(high: 0, low: 0xC0FFEE)) == nil)
    }

    @Test func largeTraceWithDuplicateSpanIdsComesBackWhole() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: UInt64.max / 4)
        defer { store.close() }
        guard let first = try Self.loadTrace("example_trace").first else {
            Issue.record("example_trace empty")
            return
        }
        // Jaeger's GetLargeTrace + duplicate-span cases: 10008 copies over ~2.8 h, every 20th keeping span id 4.
        var spans: [Span] = []
        for i in 0..<10_008 {
            var copy = first
            copy.spanID = SpanID(i % 20 == 0 && i > 0 && i < 200 ? 4 : UInt64(i + 1))
            copy.startTimeUnixNanos += UInt64(i + 1) * 1_000_000_000
            spans.append(copy)
        }
        for start in stride(from: 0, to: spans.count, by: 1000) {
            _ = try store.write([store.prepare(tenant: "", spans: Array(spans[start..<min(start + 1000, spans.count)]))], now: 1_500_000_000 * 1_000_000_000)
        }
        let read = try TraceSearch(store: store).trace(tenant: "", id: first.traceID) ?? []
        #expect(read.count == 10_008)
        #expect(read.filter { $0.spanID == SpanID(4) }.count > 1)
    }
}
