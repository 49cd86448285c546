import Foundation
import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

/// The chunk encoder and the posting groups reuse what they derived from a span's process for the next span of the same
/// process instance (the spans of one Jaeger batch or OTLP resource share one). What they write must be exactly what
/// they write when every span carries its own copy of the process.
struct ProcessReuseTests {
    static let longValue = String(repeating: "v", count: SpanChunkCodec.maxInternedBytes + 3)

    /// Three processes, each shared by its spans: short and long tag values, an int and a binary tag; the third's service
    /// name is too long to be a shared name, so its bytes always hold a ref local to their chunk.
    static func processes() -> [SpoorModel.Process] {
        let api = SpoorModel.Process(
            serviceName: "api-service-with-a-long-name",
            tags: [
                .string("hostname", "host-1"), .string("ip", "10.0.0.1"), .int64("pid", 4242),
                .string("client-uuid", longValue), Attribute(key: "blob", value: .binary([1, 2, 3])),
            ])
        let db = SpoorModel.Process(serviceName: "db", tags: [.string("hostname", "host-2"), .string("db.system", "postgres")])
        let long = SpoorModel.Process(
            serviceName: String(repeating: "s", count: ChunkNames.maxNameBytes + 1), tags: [.string("hostname", "host-3")])
        return [api, db, long]
    }

    /// The process of span `index`: api, api, db, api, long, db, … (a chunk holds several, and each repeats across
    /// chunks and buckets).
    static func processIndex(_ index: Int) -> Int { index % 5 == 4 ? 2 : index % 3 == 2 ? 1 : 0 }

    /// Spans of several traces and two buckets, the processes interleaved (`processIndex`).
    static func spans(sharing: Bool, baseMicros: UInt64 = 1_700_000_000_000_000, bucketMicros: UInt64 = 3_600_000_000) -> [Span] {
        let processes = processes()
        var spans: [Span] = []
        for index in 0..<60 {
            let trace = UInt64(1 + index % 7)
            let shared = processes[processIndex(index)]
            // A copy: equal, but its own tags buffer (and service string storage).
            let copy = SpoorModel.Process(
                serviceName: String(decoding: Array(shared.serviceName.utf8), as: UTF8.self), tags: shared.tags.map { $0 })
            let process = sharing ? shared : copy
            // Half the spans start in the next hour: another bucket.
            let start = baseMicros + UInt64(index % 2) * bucketMicros + UInt64(index)
            spans.append(
                SpanBuilder.span(
                    trace: trace, span: UInt64(100 + index), service: process.serviceName, operation: "op-\(index % 4)",
                    startMicros: start, tags: [.string("http.method", index % 2 == 0 ? "GET" : "POST"), .int64("n", Int64(index))],
                    processTags: process.tags))
        }
        if sharing {
            // `SpanBuilder` builds a process per span; put the shared instances back.
            for index in spans.indices { spans[index].process = processes[processIndex(index)] }
        }
        return spans
    }

    @Test func sharedAndCopiedProcessesAreDifferentInstancesOfEqualValues() {
        let shared = Self.spans(sharing: true)
        let copied = Self.spans(sharing: false)
        #expect(shared == copied)
        #expect(shared[0].process.isSameInstance(as: shared[1].process))
        #expect(!copied[0].process.isSameInstance(as: copied[1].process))
        #expect(!shared[0].process.isSameInstance(as: shared[2].process))
        #expect(shared[4].process.isSameInstance(as: shared[9].process))
    }

    /// Chunk values are byte-identical with and without a shared process instance, with shared names (refs that are
    /// bucket numbers, across two buckets) and without (every ref local to its chunk), and decode to the spans.
    @Test(arguments: [true, false])
    func chunksAreTheSameBytesWhetherSpansShareTheirProcess(sharedNames: Bool) throws {
        func encodeAll(_ spans: [Span], names: ChunkNames?) -> [[UInt8]] {
            var encoder = SpanChunkEncoder(names: names)
            var values: [[UInt8]] = []
            // One chunk per (trace, bucket), several spans each, in arrival order; then a chunk of every span.
            var groups: [String: [Int]] = [:]
            var order: [String] = []
            for (index, span) in spans.enumerated() {
                let key = "\(span.traceID)/\(span.startTimeUnixNanos / 3_600_000_000_000)"
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(index)
            }
            for (number, key) in order.enumerated() {
                let indices = groups[key]!
                let first = spans[indices[0]]
                let bucketStart = first.startTimeUnixNanos / 3_600_000_000_000 * 3600
                values.append(
                    encoder.encode(
                        spans, indices[...], traceID: first.traceID,
                        chunkStart: indices.map { spans[$0].startTimeUnixNanos }.min()!,
                        bucket: BucketRef(start: bucketStart, width: 3600), share: number % 4 != 3))
            }
            return values
        }
        let shared = Self.spans(sharing: true)
        let copied = Self.spans(sharing: false)
        let sharedValues = encodeAll(shared, names: sharedNames ? ChunkNames() : nil)
        let copiedValues = encodeAll(copied, names: sharedNames ? ChunkNames() : nil)
        #expect(sharedValues.count == 14)
        #expect(sharedValues == copiedValues)
    }

    /// Round trip of chunks written with the reuse, through the shared names they refer to.
    @Test func reusedProcessBytesDecodeToTheSpans() throws {
        let names = ChunkNames()
        var encoder = SpanChunkEncoder(names: names)
        let spans = Self.spans(sharing: true).filter { $0.startTimeUnixNanos % 2 == 0 }  // one bucket
        let byTrace = Dictionary(grouping: spans.indices, by: { spans[$0].traceID })
        for (traceID, indices) in byTrace {
            let start = indices.map { spans[$0].startTimeUnixNanos }.min()!
            let bucket = BucketRef(start: spans[indices[0]].startTimeUnixNanos / 3_600_000_000_000 * 3600, width: 3600)
            let value = encoder.encode(spans, indices[...], traceID: traceID, chunkStart: start, bucket: bucket)
            var decoded: [Span] = []
            try value.withUnsafeBytes {
                try SpanChunkCodec.decode(
                    $0, traceID: traceID, chunkStart: start, names: names.names(bucket: bucket.start), into: &decoded)
            }
            #expect(decoded == indices.map { spans[$0] })
        }
    }

    /// `prepare` makes the same entries (chunk keys and values, names, journal) and the same posting groups whether
    /// the spans share their process or not.
    @Test func prepareWritesTheSameWhetherSpansShareTheirProcess() throws {
        let first = TemporaryDirectory()
        let second = TemporaryDirectory()
        defer {
            first.cleanup()
            second.cleanup()
        }
        do {
            let store = try TestStores.open(first)
            let other = try TestStores.open(second)
            // Recent spans in two of the store's buckets, so their chunks share names (spans older than the retention
            // would not) and a process's tags are posted in both buckets.
            let width = store.configuration.bucketWidthSeconds * 1_000_000
            let now = UInt64(Date().timeIntervalSince1970) * 1_000_000
            let base = now / width * width - width + 600_000_000
            let shared = store.prepare(tenant: "t", spans: Self.spans(sharing: true, baseMicros: base, bucketMicros: width))
            let copied = other.prepare(tenant: "t", spans: Self.spans(sharing: false, baseMicros: base, bucketMicros: width))
            #expect(Set(shared.entries.map(\.bucket)).count == 2)
            #expect(shared.entries.contains { $0.value.first == SpanChunkCodec.sharedNamesVersion })
            #expect(shared.entries.map(\.key) == copied.entries.map(\.key))
            #expect(shared.entries.map(\.value) == copied.entries.map(\.value))
            #expect(shared.postings.groupCount == copied.postings.groupCount)
            #expect(shared.postings.postingCount == copied.postings.postingCount)
            var sharedPostings: [PreparedWrite.Entry] = []
            var copiedPostings: [PreparedWrite.Entry] = []
            shared.postings.emit(into: &sharedPostings)
            copied.postings.emit(into: &copiedPostings)
            #expect(!sharedPostings.isEmpty)
            #expect(sharedPostings.map(\.key) == copiedPostings.map(\.key))
            #expect(sharedPostings.map(\.value) == copiedPostings.map(\.value))
        }
    }
}
