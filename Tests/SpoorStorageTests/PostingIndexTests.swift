import Foundation
import SpoorModel
import SpoorTestSupport
import Synchronization
import Testing

@testable import SpoorStorage

extension PostingList {
    /// Decodes a list with its whole trace table, resolving every entry (scans resolve only the entries they visit).
    static func decode(
        _ value: UnsafeRawBufferPointer, maxStart: UInt64, withDurations: Bool, table: [TraceID], into postings: inout [Posting]
    ) throws(StorageError) {
        var raw: [RawPosting] = []
        try decodeRaw(value, maxStart: maxStart, withDurations: withDurations, into: &raw)
        for entry in raw {
            guard entry.number < UInt64(table.count) else { throw .corrupt("posting list trace number outside its table") }
            postings.append(Posting(start: entry.start, traceID: table[Int(entry.number)], durationNanos: entry.durationNanos))
        }
    }
}

struct PostingListCodecTests {
    private static let table = [TraceID(high: 1, low: 2), TraceID(high: 0, low: 5), TraceID(high: .max, low: .max)]

    private func roundTrip(_ postings: [Posting], withDurations: Bool, paged: Bool = false) throws -> [Posting] {
        var value: [UInt8] = []
        let numbers = Dictionary(uniqueKeysWithValues: Self.table.enumerated().map { ($1, UInt32($0)) })
        PostingList.encode(postings[...], withDurations: withDurations, table: 77, paged: paged, number: { numbers[$0]! }, into: &value)
        var decoded: [Posting] = []
        try value.withUnsafeBytes {
            #expect(try PostingList.header(of: $0).table == 77)
            try PostingList.decode(
                $0, maxStart: postings.first?.start ?? 0, withDurations: withDurations, table: Self.table, into: &decoded)
        }
        return decoded
    }

    @Test func listsRoundTripNewestFirst() throws {
        let postings = [
            Posting(start: 9_000, traceID: Self.table[0], durationNanos: 77),
            Posting(start: 9_000, traceID: Self.table[1], durationNanos: 1),
            Posting(start: 12, traceID: Self.table[2], durationNanos: .max),
        ]
        #expect(try roundTrip(postings, withDurations: true) == postings)
        #expect(try roundTrip(postings, withDurations: false) == postings.map { Posting(start: $0.start, traceID: $0.traceID) })
        #expect(try roundTrip([], withDurations: false).isEmpty)
        // Version 3 codes each trace number as the difference to the previous one, up and down.
        #expect(try roundTrip(postings, withDurations: true, paged: true) == postings)
        let upAndDown = [2, 0, 1, 1, 0].enumerated().map { Posting(start: UInt64(100 - $0.offset), traceID: Self.table[$0.element]) }
        #expect(try roundTrip(upAndDown, withDurations: false, paged: true) == upAndDown)
    }

    @Test func traceTablesRoundTripAndRefuseGarbage() throws {
        let value = TraceTable.encode(Self.table)
        #expect(try value.withUnsafeBytes { try TraceTable.decode($0) } == Self.table)
        for bytes: [UInt8] in [[], [2, 0], [1, 5] + [UInt8](repeating: 0, count: 16), Array(value.dropLast()), value + [0]] {
            #expect(throws: StorageError.self) { try bytes.withUnsafeBytes { _ = try TraceTable.decode($0) } }
        }
    }

    @Test func corruptListsThrowInsteadOfTrapping() throws {
        var good: [UInt8] = []
        PostingList.encode(
            [Posting(start: 100, traceID: Self.table[0])][...], withDurations: false, table: 1, number: { _ in 0 }, into: &good)
        let header: [UInt8] = [2, 0, 0, 0, 0, 0, 0, 0, 1]
        let cases: [[UInt8]] = [
            [],  // empty
            [1, 0],  // unknown version
            header + [0xFF, 0xFF, 0xFF, 0x0F],  // count larger than the value could hold
            Array(good.dropLast()),  // truncated entry
            good + [0],  // trailing bytes
            header + [1, 0x80 | 0x7F, 0x01, 0],  // delta 255 > maxStart 100
            header + [1, 0, 3],  // trace number 3 outside a table of 3
            header + [1] + [UInt8](repeating: 0xFF, count: 11) + [0],  // varint too long
        ]
        for bytes in cases {
            var decoded: [Posting] = []
            #expect(throws: StorageError.self) {
                try bytes.withUnsafeBytes {
                    try PostingList.decode($0, maxStart: 100, withDurations: false, table: Self.table, into: &decoded)
                }
            }
        }
        // Random bytes never trap, whatever they decode to.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for round in 0..<4_000 {
            var bytes: [UInt8] = [round % 2 == 0 ? 2 : 3]  // both versions: absolute and delta-coded trace numbers
            for _ in 0..<Int(state % 60) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1
            var decoded: [Posting] = []
            _ = try? bytes.withUnsafeBytes {
                try PostingList.decode($0, maxStart: state, withDurations: state & 1 == 0, table: Self.table, into: &decoded)
            }
            _ = try? bytes.withUnsafeBytes { try TraceTable.decode($0) }
        }
    }

    @Test func perTraceListsAndTimedPagesRoundTripAndRefuseGarbage() throws {
        let entries = [TracePosting(number: 70_000, durationNanos: 9), TracePosting(number: 70_000, durationNanos: 3), TracePosting(number: 0, durationNanos: .max)]
        for withDurations in [true, false] {
            var value: [UInt8] = []
            let written = withDurations ? entries : [entries[0], entries[2]].map { TracePosting(number: $0.number, durationNanos: 0) }
            PostingList.encodePerTrace(written[...], withDurations: withDurations, table: 5, into: &value)
            var decoded: [TracePosting] = []
            try value.withUnsafeBytes {
                let header = try PostingList.header(of: $0)
                #expect(header.table == 5)
                guard case .perTrace = header.format else { throw StorageError.corrupt("format") }
                try PostingList.decodePerTrace($0, withDurations: withDurations, into: &decoded)
            }
            #expect(decoded == written)
            // The other list decoders refuse it rather than misreading it.
            var raw: [RawPosting] = []
            #expect(throws: StorageError.self) { try value.withUnsafeBytes { try PostingList.decodeRaw($0, maxStart: 0, withDurations: withDurations, into: &raw) } }
        }
        let page = TraceTable.encodePage(ids: Self.table[...], firsts: [5, 5, 1 << 62], lasts: [7, 5, .max])
        let decoded = try page.withUnsafeBytes { try TraceTable.decodePage($0) }
        #expect(decoded.timed && decoded.ids == Self.table && decoded.firsts == [5, 5, 1 << 62] && decoded.lasts == [7, 5, .max])
        let old = try TraceTable.encode(Self.table).withUnsafeBytes { try TraceTable.decodePage($0) }
        #expect(!old.timed && old.ids == Self.table)
        for bytes: [UInt8] in [[], [3, 0], [2, 1] + [UInt8](repeating: 0, count: 17), Array(page.dropLast()), page + [0]] {
            #expect(throws: StorageError.self) { try bytes.withUnsafeBytes { _ = try TraceTable.decodePage($0) } }
        }
        // A number that goes up, or a first number past 32 bits, is corrupt.
        for bytes: [UInt8] in [[4, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2], [4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x10]] {
            var decoded: [TracePosting] = []
            #expect(throws: StorageError.self) { try bytes.withUnsafeBytes { try PostingList.decodePerTrace($0, withDurations: false, into: &decoded) } }
        }
        // Random bytes never trap.
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for round in 0..<4_000 {
            var bytes: [UInt8] = [[4, 2, 5][round % 3]]
            for _ in 0..<Int(state % 80) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            var decoded: [TracePosting] = []
            _ = try? bytes.withUnsafeBytes { try PostingList.decodePerTrace($0, withDurations: round % 3 == 0, into: &decoded) }
            _ = try? bytes.withUnsafeBytes { try TraceTable.decodePage($0) }
            var segments: [(table: UInt64, end: Int)] = []
            _ = try? bytes.withUnsafeBytes { try PostingList.decodeSlotList($0, withDurations: round % 2 == 0, into: &decoded, segments: &segments) }
            _ = bytes.withUnsafeBytes { PostingList.mergeSlotLists([$0, $0], withDurations: round % 2 == 0) }
        }
    }

    @Test func durationClassesAreMonotonicAndFitAByte() {
        var previous: UInt8 = 0
        var duration: UInt64 = 0
        while duration < UInt64.max / 3 {
            let c = DurationClass.of(duration)
            #expect(c >= previous)
            previous = c
            duration = duration * 3 / 2 + 1
        }
        #expect(DurationClass.of(0) == 0)
        #expect(DurationClass.of(3) == 3)
        #expect(DurationClass.of(4) == 8)
        #expect(DurationClass.of(.max) == 255)
        #expect(DurationClass.of(20_000) < DurationClass.of(30_000))
    }
}

struct PostingIndexTests {
    static let t0 = SpanStoreTests.t0
    static let second: UInt64 = 1_000_000

    private func write(_ store: SpanStore, _ spans: [Span], tenant: String = "") throws {
        _ = try store.write([store.prepare(tenant: tenant, spans: spans)], now: Self.t0 * 1000 + SpanStoreTests.hour)
    }

    private func flush(_ store: SpanStore) throws {
        try store.flushIndex(now: Self.t0 * 1000 + SpanStoreTests.hour)
    }

    private func scan(_ store: SpanStore, _ index: IndexScan, from: UInt64 = 0, to: UInt64 = .max) throws -> [UInt64] {
        var seen: [UInt64] = []
        try store.scan(tenant: "", index: index, startMin: from, startMax: to) { id, _ in
            seen.append(id.low)
            return true
        }
        return seen
    }

    /// Keys starting `0x00 type` (the empty tenant's keys of that type, or the store's own keys) in one family.
    private func keys(_ store: SpanStore, _ family: ColumnFamily, type: UInt8) throws -> Int {
        try store.keyCount(types: type...type, in: family)
    }

    private func indexKeys(_ store: SpanStore, type: UInt8) throws -> Int {
        try store.keyCount(types: type...type)
    }

    @Test func overlappingListsFromSeveralRequestsScanNewestFirst() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // Three requests whose starts interleave: lists overlap in time and must be merged entry by entry.
        for request in 0..<3 {
            let spans = (0..<10).map { i -> Span in
                let n = UInt64(i * 3 + request + 1)
                return SpanBuilder.span(trace: n, span: 1, service: "s", startMicros: Self.t0 + n * Self.second, tags: [.string("k", "v")])
            }
            try write(store, spans)
        }
        #expect(try scan(store, .service("s")) == Array((1...30).reversed()))
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v")) == Array((1...30).reversed()))
        #expect(try scan(store, .operation(service: "s", operation: "op")) == Array((1...30).reversed()))
        let from = (Self.t0 + 7 * Self.second) * 1000
        let to = (Self.t0 + 12 * Self.second) * 1000
        #expect(try scan(store, .service("s"), from: from, to: to) == [12, 11, 10, 9, 8, 7])
        // Before the flush the postings are pending only; after it, one list for the three requests, not one entry per
        // span, and the same answers.
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 0)
        try flush(store)
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 1)
        #expect(try indexKeys(store, type: Keys.serviceIndexTag) == 0)
        #expect(try scan(store, .service("s")) == Array((1...30).reversed()))
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v")) == Array((1...30).reversed()))
        #expect(try scan(store, .service("s"), from: from, to: to) == [12, 11, 10, 9, 8, 7])
    }

    @Test func repeatsOfATraceInASlotArePostedOnceAndEverySpanStaysFindable() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // Trace 1: ten spans of one service with the same tag, one every 5 s in one minute; trace 2 in between, then
        // trace 1 again in the next minute.
        var spans = (0..<10).map { i in
            SpanBuilder.span(trace: 1, span: UInt64(i + 1), service: "s", startMicros: Self.t0 + UInt64(i) * 5 * Self.second, tags: [.string("k", "v")])
        }
        spans.append(SpanBuilder.span(trace: 2, span: 1, service: "s", startMicros: Self.t0 + 52 * Self.second, tags: [.string("k", "v")]))
        spans.append(SpanBuilder.span(trace: 1, span: 11, service: "s", startMicros: Self.t0 + 61 * Self.second, tags: [.string("k", "v")]))
        let prepared = store.prepare(tenant: "", spans: spans)
        // Service, operation and tag: trace 1 once in each minute and trace 2 once (3 each); durations: one per span (12).
        #expect(prepared.postings.postingCount == 3 * 3 + 12)
        _ = try store.write([prepared], now: Self.t0 * 1000)
        // A window holding only the last spans of trace 1's first minute still finds it, pending and flushed.
        let from = (Self.t0 + 44 * Self.second) * 1000
        let to = (Self.t0 + 46 * Self.second) * 1000
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v"), from: from, to: to).contains(1))
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v")) == [1, 2, 1])
        // Between trace 1's last span of that minute (45 s) and trace 2 (52 s): nothing, pending or flushed.
        let gap = ((Self.t0 + 46 * Self.second) * 1000, (Self.t0 + 51 * Self.second) * 1000)
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v"), from: gap.0, to: gap.1) == [])
        try flush(store)
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v"), from: from, to: to) == [1])
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v"), from: gap.0, to: gap.1) == [])
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v"), from: (Self.t0 + 61 * Self.second) * 1000, to: .max) == [1])
    }

    @Test func stoppingEarlyVisitsOnlyTheNewest() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try write(store, (1...50).map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0 * Self.second) })
        var seen: [UInt64] = []
        try store.scan(tenant: "", index: .service("s"), startMin: 0, startMax: .max) { id, _ in
            seen.append(id.low)
            return seen.count < 3
        }
        #expect(seen == [50, 49, 48])
    }

    @Test func aRequestSpanningMinutesIsCutIntoSlotsAndWindowsStayExact() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // Five spans 50 s apart from t0, a multiple of 60 s: one list per 60 s slot, (0, 50), (100), (150), (200).
        #expect(Self.t0 * 1000 % Keys.postingSlotNanos == 0)
        let spans = (0..<5).map { SpanBuilder.span(trace: UInt64($0 + 1), span: 1, service: "s", startMicros: Self.t0 + UInt64($0) * 50 * Self.second) }
        try write(store, spans)
        try flush(store)
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 4)
        let from = (Self.t0 + 50 * Self.second) * 1000
        let to = (Self.t0 + 150 * Self.second) * 1000
        #expect(try scan(store, .service("s"), from: from, to: to) == [4, 3, 2])
        #expect(try scan(store, .service("s"), from: from + 1, to: to - 1) == [3])
    }

    /// A flush keeps one entry per trace and index key in a slot, with the trace's first and last start there in the
    /// slot table: a window overlapping those finds the trace (the search then checks its spans), one outside does not.
    @Test func aTraceIsOneEntryPerListWithItsTimesInTheSlotTable() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // Trace 1: spans at 10, 20 and 40 s with the same tag; trace 2: one span at 30 s. Both in the slot [0, 60 s).
        let tag = Attribute.string("k", "v")
        try write(
            store,
            [10, 20, 40].map { SpanBuilder.span(trace: 1, span: $0, service: "s", startMicros: Self.t0 + $0 * Self.second, tags: [tag]) }
                + [SpanBuilder.span(trace: 2, span: 1, service: "s", startMicros: Self.t0 + 30 * Self.second, tags: [tag])])
        try flush(store)
        let family = try #require(store.allBuckets.first).family
        var entries: [TracePosting] = []
        let prefix = Keys.tagPrefix(tenant: "", service: "s", key: "k", value: "v")
        var segments: [(table: UInt64, end: Int)] = []
        try store.database.scan(family, lower: prefix, upper: Keys.upperBound(of: prefix)) { key, value in
            // A small list: a segment of its slot's list, keyed by the slot's last nanosecond.
            #expect(key.count == prefix.count + 8)
            #expect(Keys.readUInt64(key, at: prefix.count) == Self.t0 * 1000 + Keys.postingSlotNanos - 1)
            try? PostingList.decodeSlotList(value, withDurations: false, into: &entries, segments: &segments)
            return true
        }
        // Two traces, two entries (not four), highest number (the later first start) first.
        #expect(entries.map(\.number) == [1, 0])
        #expect(segments.count == 1)
        func seconds(_ from: UInt64, _ to: UInt64) throws -> [UInt64] {
            try scan(store, .tag(service: "s", key: "k", value: "v"), from: (Self.t0 + from * Self.second) * 1000, to: (Self.t0 + to * Self.second) * 1000)
        }
        // Newest first by first start: trace 2 (30 s) before trace 1 (10 s).
        #expect(try seconds(0, 59) == [2, 1])
        #expect(try seconds(35, 59) == [1])  // only trace 1's last span (40 s) is in the window
        #expect(try seconds(0, 15) == [1])
        #expect(try seconds(41, 59).isEmpty)
        #expect(try seconds(0, 9).isEmpty)
        #expect(try seconds(25, 35) == [2, 1])  // trace 1 spans the window without a span in it: a candidate only
    }

    /// A trace whose spans fall in two slots is an entry of each slot's table; windows in either slot find it.
    @Test func aTraceAcrossSlotsIsFoundFromEither() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try write(store, [50, 70].map { SpanBuilder.span(trace: 1, span: $0, service: "s", startMicros: Self.t0 + $0 * Self.second) })
        try flush(store)
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 2)
        #expect(try indexKeys(store, type: Keys.traceTableTag) == 2)
        for (from, to) in [(45, 55), (65, 75), (0, 200), (55, 65)] as [(UInt64, UInt64)] {
            let found = try scan(store, .service("s"), from: (Self.t0 + from * Self.second) * 1000, to: (Self.t0 + to * Self.second) * 1000)
            #expect(Set(found) == (from == 55 ? [] : [1]), "window \(from)–\(to) s")
        }
    }

    /// Several flushes whose starts interleave: their lists of one slot merge into one newest-first stream.
    @Test func listsOfSeveralFlushesMergeNewestFirst() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        for flush in 0..<3 {
            try write(
                store,
                (0..<10).map { i in
                    let n = UInt64(i * 3 + flush + 1)
                    return SpanBuilder.span(trace: n, span: 1, service: "s", startMicros: Self.t0 + n * Self.second, durationMicros: n)
                })
            try self.flush(store)
        }
        // Three flushes' small lists of one slot: three segments of one key.
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 1)
        #expect(try scan(store, .service("s")) == Array((1...30).reversed()))
        #expect(try scan(store, .service("s"), from: (Self.t0 + 7 * Self.second) * 1000, to: (Self.t0 + 12 * Self.second) * 1000) == [12, 11, 10, 9, 8, 7])
        // Duration lists keep each duration: exact bounds within a class, and the window.
        #expect(Set(try scan(store, .duration(service: "s", minNanos: 9_000, maxNanos: 11_000))) == [9, 10, 11])
        #expect(
            Set(try scan(store, .duration(service: "s", minNanos: 0, maxNanos: .max), from: (Self.t0 + 29 * Self.second) * 1000))
                == [29, 30])
    }

    /// Lists of at least `minOwnKeyEntries` traces keep keys of their own (v4), smaller ones go into their slot's list
    /// (v5); a scan merges both kinds, and the pending postings, newest first.
    @Test func largeListsKeepTheirOwnKeysAndSmallOnesShareTheSlotsKey() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let many = UInt64(PostingList.minOwnKeyEntries)
        // Flush 1: `many` traces at odd milliseconds; flush 2: three traces in between; then one pending trace.
        try write(store, (0..<many).map { SpanBuilder.span(trace: 2 * $0 + 1, span: 1, service: "s", startMicros: Self.t0 + (2 * $0 + 1) * 1000) })
        try flush(store)
        try write(store, [2, 10, 100].map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0 * 1000) })
        try flush(store)
        try write(store, [SpanBuilder.span(trace: 50, span: 1, service: "s", startMicros: Self.t0 + 50 * 1000)])
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 2)
        let expected = (Array(0..<many).map { 2 * $0 + 1 } + [2, 10, 100, 50]).sorted(by: >)
        #expect(try scan(store, .service("s")) == expected)
        let from = (Self.t0 + 9 * 1000) * 1000
        let to = (Self.t0 + 51 * 1000) * 1000
        #expect(try scan(store, .service("s"), from: from, to: to) == expected.filter { $0 >= 9 && $0 <= 51 })
    }

    @Test func slotListMergesConcatenateSegmentsOnceEach() throws {
        func segment(_ numbers: [UInt64], table: UInt64) -> [UInt8] {
            var out: [UInt8] = []
            PostingList.encodeSlotSegment(
                numbers.map { TracePosting(number: $0, durationNanos: 0) }[...], withDurations: false, table: table, into: &out)
            return out
        }
        let a = segment([9, 4], table: 1)
        let b = segment([3], table: 2)
        // A part that is not a slot list, a corrupt one (a number going up), and a good segment followed by garbage.
        let corrupt: [UInt8] = [5, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 2]
        let parts: [[UInt8]] = [a, b, a, [1, 2, 3], segment([7, 7], table: 1) + Array(corrupt.dropFirst())]
        let result = parts[0].withUnsafeBytes { p0 in
            parts[1].withUnsafeBytes { p1 in
                parts[2].withUnsafeBytes { p2 in
                    parts[3].withUnsafeBytes { p3 in
                        parts[4].withUnsafeBytes { p4 in PostingList.mergeSlotLists([p0, p1, p2, p3, p4], withDurations: false) }
                    }
                }
            }
        }
        let withCorrupt = corrupt.withUnsafeBytes { c in a.withUnsafeBytes { PostingList.mergeSlotLists([$0, c], withDurations: false) } }
        #expect(withCorrupt == a)
        // The repeated segment once, the part that is not a slot list and the corrupt tail left out.
        #expect(result == [PostingList.slotVersion] + a.dropFirst() + b.dropFirst() + segment([7, 7], table: 1).dropFirst())
        var entries: [TracePosting] = []
        var segments: [(table: UInt64, end: Int)] = []
        try result.withUnsafeBytes { try PostingList.decodeSlotList($0, withDurations: false, into: &entries, segments: &segments) }
        #expect(entries.map(\.number) == [9, 4, 3, 7, 7])
        #expect(segments.map(\.table) == [1, 2, 1] && segments.map(\.end) == [2, 3, 5])
        for bad: [UInt8] in [[4], Array(result.dropLast()), result + [0], [5, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0x0F]] {
            entries.removeAll()
            segments.removeAll()
            #expect(throws: StorageError.self) {
                try bad.withUnsafeBytes { try PostingList.decodeSlotList($0, withDurations: false, into: &entries, segments: &segments) }
            }
        }
    }

    /// A span starting at the very end of time is indexed without overflowing its slot's key, and an empty slot
    /// list (every segment left out as corrupt) is skipped by every scan.
    @Test func extremeStartsAndEmptySlotListsAreHandled() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        var late = SpanBuilder.span(trace: 9, span: 1, service: "s", startMicros: Self.t0)
        late.startTimeUnixNanos = .max - 10
        _ = try store.write([store.prepare(tenant: "", spans: [late])], now: .max - 5)
        try store.flushIndex(now: .max - 5)
        try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0, durationMicros: 5)])
        try flush(store)
        let family = try #require(store.allBuckets.first { $0.startNanos <= Self.t0 * 1000 && $0.endNanos > Self.t0 * 1000 }).family
        let batch = try WriteBatch()
        var serviceKey = Keys.servicePrefix(tenant: "", service: "s")
        Keys.appendUInt64(Self.t0 * 1000 + 5 * Keys.postingSlotNanos - 1, to: &serviceKey)
        var durationKey = Keys.durationPrefix(tenant: "", service: "s")
        durationKey.append(DurationClass.of(5_000))
        Keys.appendUInt64(Self.t0 * 1000 + 5 * Keys.postingSlotNanos - 1, to: &durationKey)
        batch.put(family, key: serviceKey, value: [PostingList.slotVersion])
        batch.put(family, key: durationKey, value: [PostingList.slotVersion])
        try store.database.write(batch, sync: false)
        #expect(try scan(store, .service("s"), to: (Self.t0 + 3600 * Self.second) * 1000) == [1])
        #expect(try scan(store, .duration(service: "s", minNanos: 0, maxNanos: .max), to: (Self.t0 + 3600 * Self.second) * 1000) == [1])
    }

    /// A bucket holding v3 lists (one entry per span start, written by the previous release) and v4 lists (since)
    /// answers from both, newest first.
    @Test func versionThreeAndFourListsAreScannedTogether() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try write(store, [2, 4].map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0 * Self.second) })
        try flush(store)
        // A v3 list and its paged table, as the previous release's flush wrote them, for traces 1, 3 and 5.
        let family = try #require(store.allBuckets.first).family
        let ids = [1, 3, 5].map { TraceID(high: 0, low: UInt64($0)) }
        let postings = ids.reversed().map { Posting(start: (Self.t0 + $0.low * Self.second) * 1000, traceID: $0) }
        var value: [UInt8] = []
        PostingList.encode(postings[...], withDurations: false, table: 99, paged: true, number: { UInt32(($0.low - 1) / 2) }, into: &value)
        var key = Keys.servicePrefix(tenant: "", service: "s")
        Keys.appendUInt64(postings[0].start, to: &key)
        Keys.appendUInt64(1, to: &key)
        let batch = try WriteBatch()
        batch.put(family, key: key, value: value)
        batch.put(family, key: Keys.traceTablePage(tenant: [0][...], hash: 99, page: 0), value: TraceTable.encode(ids))
        try store.database.write(batch, sync: false)
        #expect(try scan(store, .service("s")) == [5, 4, 3, 2, 1])
        #expect(try scan(store, .service("s"), from: (Self.t0 + 2 * Self.second) * 1000, to: (Self.t0 + 4 * Self.second) * 1000) == [4, 3, 2])
    }

    @Test func largeRequestsAreSplitIntoBoundedLists() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let count = PostingList.maxEntries + 100
        try write(store, (1...UInt64(count)).map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0) })
        try flush(store)
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 2)
        // 4,196 traces: a trace table of several pages, each posting resolved through its page.
        #expect(try indexKeys(store, type: Keys.traceTableTag) == (count + PostingGroups.tracesPerPage - 1) / PostingGroups.tracesPerPage)
        let seen = try scan(store, .service("s"))
        #expect(seen == Array((1...UInt64(count)).reversed()))
    }

    @Test func aResentRequestIsIndexedOnce() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let spans = (1...5).map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0 * Self.second) }
        try write(store, spans)
        try flush(store)
        try write(store, spans)
        // Pending postings may repeat a trace (scans allow it); the flush removes equal postings.
        #expect(Set(try scan(store, .service("s"))) == [5, 4, 3, 2, 1])
        try flush(store)
        #expect(try scan(store, .service("s")) == [5, 4, 3, 2, 1])
        // Separate prepare calls and flushes (fresh dictionaries, other hash seeds) still give byte-identical keys.
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 1)
        #expect(try indexKeys(store, type: Keys.traceTableTag) == 1)
    }

    @Test func durationScansCheckExactBoundsWithinAClass() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // 1000 µs and 1001 µs share a duration class; the bounds still separate them.
        try write(
            store,
            [
                SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0, durationMicros: 1000),
                SpanBuilder.span(trace: 2, span: 1, service: "s", startMicros: Self.t0 + 1, durationMicros: 1001),
                SpanBuilder.span(trace: 3, span: 1, service: "s", startMicros: Self.t0 + 2, durationMicros: 5000),
            ])
        #expect(DurationClass.of(1_000_000) == DurationClass.of(1_001_000))
        #expect(try scan(store, .duration(service: "s", minNanos: 1_001_000, maxNanos: 1_001_000)) == [2])
        #expect(Set(try scan(store, .duration(service: "s", minNanos: 0, maxNanos: .max))) == [1, 2, 3])
        #expect(try scan(store, .duration(service: "s", minNanos: 2_000_000, maxNanos: .max)) == [3])
        #expect(try scan(store, .duration(service: "s", minNanos: 0, maxNanos: .max), from: (Self.t0 + 1) * 1000, to: (Self.t0 + 1) * 1000) == [2])
    }

    /// A store written before posting lists keeps per-span index keys (0x20–0x23); scans still find them, merged in order
    /// with lists written since.
    @Test func bucketsFromBeforePostingListsAreStillSearched() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            try write(store, [2, 4].map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0 * Self.second, durationMicros: 7) })
            // Per-span entries as the previous format wrote them, and no marker: the bucket now looks like an old one.
            let batch = try WriteBatch()
            let family = try #require(store.allBuckets.first).family
            for n: UInt64 in [1, 3, 5] {
                let start = (Self.t0 + n * Self.second) * 1000
                let id = TraceID(high: 0, low: n)
                for prefix in [
                    Keys.servicePrefix(tenant: "", service: "s", type: Keys.serviceIndexTag),
                    Keys.tagPrefix(tenant: "", service: "s", key: "k", value: "v", type: Keys.tagIndexTag),
                ] {
                    var key = prefix
                    Keys.appendUInt64(start, to: &key)
                    Keys.appendTraceID(id, to: &key)
                    batch.put(family, key: key, value: [])
                }
                var key = Keys.durationPrefix(tenant: "", service: "s", type: Keys.durationIndexTag)
                Keys.appendUInt64(7_000, to: &key)
                Keys.appendUInt64(start, to: &key)
                Keys.appendTraceID(id, to: &key)
                batch.put(family, key: key, value: [])
            }
            batch.delete(store.catalogFamily, key: Keys.postingsBucketMarker(bucketStart: try #require(store.allBuckets.first).startSeconds))
            try store.database.write(batch, sync: false)
            store.close()
        }
        let store = try TestStores.open(dir)
        #expect(store.allBuckets.allSatisfy { $0.mayHoldLegacyIndex })
        #expect(try scan(store, .service("s")) == [5, 4, 3, 2, 1])
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v")) == [5, 3, 1])
        #expect(Set(try scan(store, .duration(service: "s", minNanos: 7_000, maxNanos: 7_000))) == [1, 2, 3, 4, 5])
        // New writes into the old bucket are posting lists, merged with the old entries.
        try write(store, [SpanBuilder.span(trace: 6, span: 1, service: "s", startMicros: Self.t0 + 6 * Self.second)])
        #expect(try scan(store, .service("s")) == [6, 5, 4, 3, 2, 1])
    }

    @Test func newBucketsAreMarkedAndTheMarkerOutlivesARestart() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            try write(store, [SpanBuilder.span(trace: 1, span: 1, startMicros: Self.t0)])
            #expect(store.allBuckets.map(\.mayHoldLegacyIndex) == [false])
            store.close()
        }
        let store = try TestStores.open(dir)
        #expect(store.allBuckets.map(\.mayHoldLegacyIndex) == [false])
    }

    private func journalEntries(_ store: SpanStore) throws -> Int {
        try keys(store, store.catalogFamily, type: Keys.indexJournalTag)
    }

    /// A crash before the flush: the journal written with the spans rebuilds the pending postings at the next open.
    @Test func unflushedPostingsSurviveACrashThroughTheJournal() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            try write(store, (1...3).map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0 * Self.second, tags: [.string("k", "v")]) })
            try write(store, [SpanBuilder.span(trace: 4, span: 1, service: "s", startMicros: Self.t0 + 4 * Self.second, durationMicros: 900)])
            #expect(try journalEntries(store) == 2)
            #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 0)
            store.database.close()  // no flush: as if the process died here
        }
        let store = try TestStores.open(dir)
        #expect(store.pendingIndexBytes > 0)
        #expect(try scan(store, .service("s")) == [4, 3, 2, 1])
        #expect(try scan(store, .tag(service: "s", key: "k", value: "v")) == [3, 2, 1])
        #expect(try scan(store, .duration(service: "s", minNanos: 900_000, maxNanos: 900_000)) == [4])
        // New journal entries continue after the replayed ones; one flush writes the lists and deletes them all.
        try write(store, [SpanBuilder.span(trace: 5, span: 1, service: "s", startMicros: Self.t0 + 5 * Self.second)])
        #expect(try journalEntries(store) == 3)
        try flush(store)
        #expect(try journalEntries(store) == 0)
        #expect(store.pendingIndexBytes == 0)
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 1)
        #expect(try scan(store, .service("s")) == [5, 4, 3, 2, 1])
        #expect(try scan(store, .duration(service: "s", minNanos: 900_000, maxNanos: 900_000)) == [4])
    }

    @Test func closingFlushesThePendingIndex() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0)])
            store.close()
        }
        let store = try TestStores.open(dir)
        #expect(store.pendingIndexBytes == 0)
        #expect(try journalEntries(store) == 0)
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 1)
        #expect(try scan(store, .service("s")) == [1])
    }

    @Test func aFlushIsDueOnceEnoughPostingsArePending() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = StoreConfiguration()
        configuration.indexFlushPostings = 30  // each span gives 3 postings (service, operation, duration)
        let store = try SpanStore(path: dir.path + "/db", configuration: configuration, logger: TestStores.logger)
        let now = Self.t0 * 1000 + SpanStoreTests.hour
        for n: UInt64 in 1...9 {
            try write(store, [SpanBuilder.span(trace: n, span: 1, service: "s", startMicros: Self.t0 + n)])
            store.flushIndexIfDue(now: now)
        }
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 0)
        try write(store, [SpanBuilder.span(trace: 10, span: 1, service: "s", startMicros: Self.t0 + 10)])
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 0)  // writes never flush themselves
        store.flushIndexIfDue(now: now)
        #expect(try indexKeys(store, type: Keys.servicePostingsTag) == 1)
        #expect(try journalEntries(store) == 0)
        try write(store, [SpanBuilder.span(trace: 11, span: 1, service: "s", startMicros: Self.t0 + 11)])
        #expect(try scan(store, .service("s")) == Array((1...11).reversed()))
    }

    /// What the readers see of the pending index: the traces a service scan and a tag scan find, trace 1's span count
    /// from its summary, and the spans the service's rollups count.
    private func pendingView(_ store: SpanStore) throws -> (Set<UInt64>, Set<UInt64>, UInt32?, UInt64) {
        let rollups = try store.rollups(
            tenant: "", service: "s", kinds: [], startNanos: 0, endNanos: (Self.t0 + 3_600_000_000) * 1000, resolution: .hour)
        return (
            Set(try scan(store, .service("s"))), Set(try scan(store, .tag(service: "s", key: "k", value: "v"))),
            try store.summary(tenant: "", traceID: TraceID(high: 0, low: 1))?.spanCount, rollups.reduce(0) { $0 + $1.rollup.count }
        )
    }

    /// A flush takes what is pending when it starts; writes meanwhile go to a fresh pending index, readers see both,
    /// and a flush that fails puts what it took back.
    @Test func writesGoOnBesideARunningFlushAndReadersSeeBoth() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0 + 1, tags: [.string("k", "v")])])
        let taken = store.pending.withLock { $0.startFlush() }
        #expect(taken.journal.count == 1)
        #expect(store.pending.withLock { $0.journal.isEmpty && $0.groups.isEmpty })
        try write(
            store,
            [
                SpanBuilder.span(trace: 2, span: 1, service: "s", startMicros: Self.t0 + 2, tags: [.string("k", "v")]),
                SpanBuilder.span(trace: 1, span: 2, service: "s", startMicros: Self.t0 + 3),
            ])
        let expected: (Set<UInt64>, Set<UInt64>, UInt32?, UInt64) = ([1, 2], [1, 2], 2, 3)
        #expect(try pendingView(store) == expected)

        store.pending.withLock { $0.abandonFlush() }  // as a failed batch write does
        #expect(store.pending.withLock { $0.flushing == nil && $0.journal.count == 2 })
        #expect(try pendingView(store) == expected)
        try flush(store)
        #expect(store.pendingIndexBytes == 0)
        #expect(try journalEntries(store) == 0)
        #expect(try pendingView(store) == expected)
    }

    /// Flushes on another thread, beside a stream of writes: every span stays findable throughout and after.
    @Test func flushesBesideWritesLoseNothing() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = StoreConfiguration()
        configuration.indexFlushPostings = 40
        let store = try SpanStore(path: dir.path + "/db", configuration: configuration, logger: TestStores.logger)
        let now = Self.t0 * 1000 + SpanStoreTests.hour
        let done = StopFlag()
        let flusher = Thread {
            while !done.value.withLock({ $0 }) {
                store.flushIndexIfDue(now: now)
                usleep(100)
            }
        }
        flusher.start()
        for n: UInt64 in 1...300 {
            try write(store, [SpanBuilder.span(trace: n, span: 1, service: "s", startMicros: Self.t0 + n, tags: [.string("k", "v")])])
            if n % 50 == 0 {
                // Every 50 writes (200 postings): the flusher catches up, and every span is findable.
                let caughtUp = { store.pending.withLock { $0.groups.postingCount < 40 && $0.flushing == nil } }
                let deadline = ContinuousClock.now + .seconds(20)
                while !caughtUp(), ContinuousClock.now < deadline { usleep(1_000) }
                #expect(caughtUp())
                #expect(Set(try scan(store, .tag(service: "s", key: "k", value: "v"))) == Set(1...n))
            }
        }
        done.value.withLock { $0 = true }
        while !flusher.isFinished { usleep(1_000) }
        #expect(store.pending.withLock { $0.flushes } >= 2 * 6)  // at least one flush in each 50 writes
        try flush(store)
        #expect(try journalEntries(store) == 0)
        #expect(try scan(store, .service("s")) == Array((1...300).reversed()))
        #expect(try pendingView(store).3 == 300)
    }

    @Test func aFlushIsDueOnceThePendingMemoryBudgetIsUsed() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = StoreConfiguration()
        configuration.indexFlushBytes = 4_000  // unique tag values: each a group of one posting
        let store = try SpanStore(path: dir.path + "/db", configuration: configuration, logger: TestStores.logger)
        try write(
            store,
            (1...20).map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0, tags: [.string("request.id", "r\($0)")]) })
        #expect(store.pendingIndexBytes >= 4_000)
        store.flushIndexIfDue(now: Self.t0 * 1000 + SpanStoreTests.hour)
        #expect(store.pendingIndexBytes == 0)
        #expect(try scan(store, .tag(service: "s", key: "request.id", value: "r7")) == [7])
    }

    /// A journal key with an absurd sequence (corruption) is deleted by the next flush and never numbers new entries.
    @Test func aCorruptJournalSequenceDoesNotTrap() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            let batch = try WriteBatch()
            batch.put(store.catalogFamily, key: Keys.indexJournal(sequence: .max), value: [PostingGroups.journalVersion, 0])
            try store.database.write(batch, sync: false)
            store.database.close()
        }
        let store = try TestStores.open(dir)
        try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0)])
        #expect(try journalEntries(store) == 2)
        try flush(store)
        #expect(try journalEntries(store) == 0)
        #expect(try scan(store, .service("s")) == [1])
    }

    @Test func pendingPostingsOfExpiredBucketsAreNotFlushed() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: SpanStoreTests.hour)
        try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0)])
        let later = Self.t0 * 1000 + 30 * SpanStoreTests.hour
        #expect(try store.applyRetention(now: later) == 1)
        #expect(store.pendingIndexBytes == 0)  // retention drops the bucket's pending postings too
        // A write whose clock lags retention's (its `now` is older) must not recreate the dropped bucket.
        try write(store, [SpanBuilder.span(trace: 2, span: 1, service: "s", startMicros: Self.t0 + 1)])
        try store.flushIndex(now: Self.t0 * 1000 + SpanStoreTests.hour)
        #expect(store.allBuckets.isEmpty)
        #expect(try journalEntries(store) == 0)
    }

    /// A request mixing spans already past retention with fresh ones: the expired spans are skipped, and so are their
    /// postings and rollups, which would otherwise wait in the pending index until the next flush (and be counted by
    /// the Monitor tab meanwhile).
    @Test func postingsAndRollupsOfSpansSkippedAsExpiredDoNotGoPending() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: SpanStoreTests.hour)
        let now = Self.t0 * 1000 + 30 * SpanStoreTests.hour
        let freshStart = Self.t0 + 30 * 3_600 * Self.second - 60 * Self.second
        let spans = [
            SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0, tags: [.string("k", "old")]),
            SpanBuilder.span(trace: 2, span: 1, service: "s", startMicros: freshStart, tags: [.string("k", "new")]),
        ]
        let result = try store.write([store.prepare(tenant: "", spans: spans)], now: now)
        #expect(result.storedSpans == 1 && result.expiredSpans == 1)
        let pendingBuckets = Set(store.pendingPostingsByBucket().keys)
        #expect(pendingBuckets == Set(store.allBuckets.map(\.startSeconds)))
        #expect(pendingBuckets.count == 1)
        #expect(try scan(store, .service("s")) == [2])
        let old = try store.rollups(
            tenant: "", service: "s", kinds: [], startNanos: Self.t0 * 1000, endNanos: (Self.t0 + 3_600 * Self.second) * 1000,
            resolution: .minute)
        #expect(old.isEmpty)
        let fresh = try store.rollups(
            tenant: "", service: "s", kinds: [], startNanos: freshStart * 1000 - SpanStoreTests.hour, endNanos: now,
            resolution: .minute)
        #expect(fresh.map(\.rollup.count) == [1])
    }
}

extension SpanStore {
    /// The live pending index's postings, counted by bucket start.
    fileprivate func pendingPostingsByBucket() -> [UInt64: Int] {
        pending.withLock { pending in
            var counts: [UInt64: Int] = [:]
            pending.groups.forEachGroup { bucket, _, _, postings in counts[bucket.start, default: 0] += postings.count }
            return counts
        }
    }
}

extension PostingGroups {
    /// The version 1 journal value of the groups, as the previous release wrote it (see `absorbJournal`).
    func legacyJournalValue() -> [UInt8] {
        var out: [UInt8] = [Self.journalVersion]
        StoredSpanCodec.putVarint(UInt64(groupCount), &out)
        forEachGroup { bucket, prefix, withDurations, postings in
            StoredSpanCodec.putVarint(bucket.start, &out)
            StoredSpanCodec.putVarint(bucket.width, &out)
            out.append(withDurations ? 1 : 0)
            StoredSpanCodec.putVarint(UInt64(prefix.count), &out)
            out.append(contentsOf: prefix)
            StoredSpanCodec.putVarint(UInt64(postings.count), &out)
            for posting in postings {
                Keys.appendUInt64(posting.start, to: &out)
                Keys.appendTraceID(posting.traceID, to: &out)
                StoredSpanCodec.putVarint(posting.durationNanos, &out)
            }
        }
        return out
    }

    /// The groups of one journal value.
    fileprivate static func journal(_ value: UnsafeRawBufferPointer) throws(StorageError) -> PostingGroups {
        var groups = PostingGroups()
        try groups.absorbJournal(value)
        return groups
    }
}

struct IndexJournalCodecTests {
    @Test func journalValuesRoundTrip() throws {
        var groups = PostingGroups()
        let bucket = BucketRef(start: 100, width: 20)
        for n: UInt64 in 1...50 {
            groups.add(Posting(start: n * 7, traceID: TraceID(high: n, low: n * 3)), bucket: bucket) { $0 += [0, 0x24, 0, 1, 65] }
            groups.add(Posting(start: n * 7, traceID: TraceID(high: n, low: 9), durationNanos: n * 1000), bucket: bucket, withDurations: true) {
                $0 += [0, 0x27, 0, 1, 65, UInt8(n % 3)]
            }
        }
        let value = groups.legacyJournalValue()
        let decoded = try value.withUnsafeBytes { try PostingGroups.journal($0) }
        #expect(decoded.postingCount == groups.postingCount)
        #expect(decoded.groupCount == groups.groupCount)
        groups.forEachGroup { bucket, prefix, withDurations, postings in
            #expect(Set(decoded.postings(bucket: bucket.start, width: bucket.width, prefix: prefix) ?? []) == Set(postings))
        }
        var kinds: [[UInt8]: Bool] = [:]
        decoded.forEachGroup { _, prefix, withDurations, _ in kinds[prefix] = withDurations }
        #expect(kinds == [[0, 0x24, 0, 1, 65]: false, [0, 0x27, 0, 1, 65, 0]: true, [0, 0x27, 0, 1, 65, 1]: true, [0, 0x27, 0, 1, 65, 2]: true])
        // Every truncation throws; random bytes never trap.
        for length in 0..<min(value.count, 300) {
            #expect(throws: StorageError.self) { try value[..<length].withUnsafeBytes { _ = try PostingGroups.journal($0) } }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            var bytes: [UInt8] = [PostingGroups.journalVersion]
            for _ in 0..<Int(state % 80) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1
            _ = try? bytes.withUnsafeBytes { try PostingGroups.journal($0) }
        }
    }

    /// Merging a request's groups into the pending index keeps every posting under its own group, whether the group
    /// is new to the index or already there, and scans see each group's postings.
    @Test func mergedGroupsKeepTheirPostings() throws {
        let bucket = BucketRef(start: 100, width: 20)
        func groups(_ traces: ClosedRange<UInt64>, tag: UInt8) -> PostingGroups {
            var groups = PostingGroups()
            for n in traces {
                groups.add(Posting(start: n, traceID: TraceID(high: 0, low: n)), bucket: bucket) { $0 += [0, 0x24, 0, 1, 65] }
                groups.add(Posting(start: n, traceID: TraceID(high: 1, low: n)), bucket: bucket) { $0 += [0, 0x26, tag, UInt8(n % 7)] }
            }
            return groups
        }
        var pending = PostingGroups()
        pending.merge(groups(1...2_000, tag: 1))
        pending.merge(groups(2_001...2_050, tag: 2))
        pending.merge(groups(2_051...2_100, tag: 1))
        #expect(pending.postingCount == 4_200)
        #expect(pending.groupCount == 1 + 7 + 7)
        let service = try #require(pending.postings(bucket: 100, width: 20, prefix: [0, 0x24, 0, 1, 65]))
        #expect(Set(service.map(\.start)) == Set(1...2_100))
        let tagged = try #require(pending.postings(bucket: 100, width: 20, prefix: [0, 0x26, 2, 3]))
        #expect(Set(tagged.map(\.start)) == Set((2_001...2_050).filter { $0 % 7 == 3 }))
        #expect(pending.postings(bucket: 100, width: 21, prefix: [0, 0x24, 0, 1, 65]) == nil)
        #expect(pending.memoryBytes >= 4_200 * MemoryLayout<Posting>.stride)
        // Dropping the bucket by retention leaves nothing.
        pending.removeBuckets(endingBy: bucket.endNanos)
        #expect(pending.isEmpty && pending.groupCount == 0)
    }

    /// A merge that brings many more groups than the table holds sizes the table for all of them first (its lookups
    /// prefetch ahead and must not see the table move), and every group, new or already there, keeps its postings.
    @Test func mergingManyGroupsAtOnceKeepsEveryGroup() throws {
        let bucket = BucketRef(start: 100, width: 20)
        func prefix(_ n: Int) -> [UInt8] { [0, 0x26] + Array("k\(n)".utf8) }
        func groups(_ range: Range<Int>, trace: UInt64) -> PostingGroups {
            var groups = PostingGroups()
            for n in range {
                groups.add(Posting(start: UInt64(n), traceID: TraceID(high: trace, low: UInt64(n))), bucket: bucket) { $0 += prefix(n) }
            }
            return groups
        }
        var pending = groups(0..<3, trace: 1)  // 64 slots: the next merge needs 8,192 at once
        pending.merge(groups(0..<5_000, trace: 2))
        #expect(pending.groupCount == 5_000)
        pending.merge(groups(2_500..<7_500, trace: 3))  // half of these groups are there already
        #expect(pending.groupCount == 7_500)
        #expect(pending.postingCount == 3 + 5_000 + 5_000)
        for n in 0..<7_500 {
            let postings = try #require(pending.postings(bucket: 100, width: 20, prefix: prefix(n)))
            var expected: Set<UInt64> = []
            if n < 3 { expected.insert(1) }
            if n < 5_000 { expected.insert(2) }
            if n >= 2_500 { expected.insert(3) }
            #expect(Set(postings.map(\.traceID.high)) == expected, "group \(n)")
            #expect(postings.allSatisfy { $0.start == UInt64(n) && $0.traceID.low == UInt64(n) })
        }
        #expect(pending.postings(bucket: 100, width: 20, prefix: prefix(7_500)) == nil)
    }

    /// A span's postings go under exactly the prefixes the `Keys` builders give: service, operation, duration class,
    /// and one tag prefix per span tag, process tag and log field, each value rendered as its search string.
    @Test func spanPostingsUseTheKeyBuildersPrefixes() throws {
        let values: [AttributeValue] = [
            .string("GET"), .string(""), .string(String(repeating: "é", count: 300)), .bool(true), .bool(false),
            .int64(0), .int64(7), .int64(-1), .int64(1_234_567_890), .int64(.max), .int64(.min), .float64(2.5),
            .float64(-0.0), .float64(.nan), .binary([0, 0xAB]),
        ]
        let span = Span(
            traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), operationName: "op /x", references: [], flags: 1,
            startTimeUnixNanos: 5_000, durationNanos: 123_456,
            tags: values.enumerated().map { Attribute(key: "k\($0.offset)", value: $0.element) },
            logs: [SpanLog(timestampUnixNanos: 5_001, fields: [.int64("step", -42)])],
            process: Process(serviceName: "svc", tags: [.string("host.name", "h1")]))
        let bucket = BucketRef(start: 0, width: 3600)
        var groups = PostingGroups()
        groups.addPostings(of: span, tenant: "acme", bucket: bucket)
        var found: [[UInt8]: Bool] = [:]
        groups.forEachGroup { _, prefix, withDurations, postings in
            found[prefix] = withDurations
            #expect(postings.map(\.start) == [5_000])
        }
        var expected: [[UInt8]: Bool] = [
            Keys.servicePrefix(tenant: "acme", service: "svc"): false,
            Keys.operationPrefix(tenant: "acme", service: "svc", operation: "op /x"): false,
            Keys.durationPrefix(tenant: "acme", service: "svc") + [DurationClass.of(123_456)]: true,
        ]
        for attribute in span.tags + span.process.tags + span.logs[0].fields {
            expected[Keys.tagPrefix(tenant: "acme", service: "svc", key: attribute.key, value: attribute.value.searchString)] = false
        }
        #expect(found == expected)
    }

    @Test func integerSearchValuesAreWrittenAsTheirDecimalText() {
        var random = SystemRandomNumberGenerator()
        var numbers: [Int64] = [0, 1, 9, 10, -1, -9, -10, 99, 100, .max, .min, .max - 1, .min + 1]
        for _ in 0..<2_000 { numbers.append(Int64.random(in: .min ... .max, using: &random) >> Int64.random(in: 0...63, using: &random)) }
        for number in numbers {
            var direct: [UInt8] = [7]
            Keys.appendSearchValue(.int64(number), to: &direct)
            var viaString: [UInt8] = [7]
            Keys.appendString(String(number), to: &viaString)
            #expect(direct == viaString, "\(number)")
        }
    }
}

extension PostingIndexTests {
    @Test func floatSearchValuesAreWrittenAsTheirShortestText() {
        var random = SystemRandomNumberGenerator()
        var numbers: [Double] = [
            0, -0.0, 1, -1, 72.5, 3.0, 0.1, 1e15, 1e15 - 1, -1e15 + 1, 1e300, -1e-300, .nan, .infinity, -.infinity,
            .greatestFiniteMagnitude, .leastNonzeroMagnitude, 123_456_789_012_345, 0.000_001,
        ]
        for _ in 0..<2_000 {
            numbers.append(Double(bitPattern: UInt64.random(in: .min ... .max, using: &random)))
            numbers.append(Double(Int64.random(in: -2_000_000_000_000_000 ... 2_000_000_000_000_000, using: &random)))
            numbers.append(Double(Int.random(in: 0..<100_000, using: &random)) / 10)
        }
        for number in numbers {
            var direct: [UInt8] = [7]
            Keys.appendSearchValue(.float64(number), to: &direct)
            var viaString: [UInt8] = [7]
            Keys.appendString(AttributeValue.float64(number).searchString, to: &viaString)
            #expect(direct == viaString, "\(number)")
        }
        #expect(FloatFormat.shortest(72.5) == "72.5")
        #expect(FloatFormat.shortest(-3.0) == "-3")
        #expect(FloatFormat.shortest(1e300) == "1e+300")
    }
}

/// A flag one thread sets to stop another.
private final class StopFlag: Sendable {
    let value = Mutex(false)
}

/// A scan reads the pending index a page of entries at a time (`SpanStore.pendingScanEntries`) and reads on from the
/// last entry it used when it needs more: it must visit what one full read would, newest first.
struct PendingScanTests {
    static let t0 = SpanStoreTests.t0

    /// Visits of a scan: (trace, start), in order.
    private func scan(
        _ store: SpanStore, _ index: IndexScan, from: UInt64, to: UInt64, whole: Bool = false, stopAfter: Int = .max
    ) throws -> [(UInt64, UInt64)] {
        var seen: [(UInt64, UInt64)] = []
        try store.scan(tenant: "", index: index, startMin: from, startMax: to, visitsAll: whole) { id, start in
            seen.append((id.low, start))
            return seen.count < stopAfter
        }
        return seen
    }

    @Test func pendingEntriesBeyondOnePageAreVisitedNewestFirstAsAfterTheFlush() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // 3,000 traces of two spans each, over 100 s, arriving in 30 requests in shuffled order: starts are not in
        // arrival order, and a trace's spans may land in different requests.
        var rng = SplitMix(seed: 11)
        var spans: [Span] = []
        for trace in UInt64(1)...3_000 {
            let start = Self.t0 + rng.next() % 100_000_000
            let tag = Attribute.string("k", trace % 3 == 0 ? "a" : "b")
            spans.append(SpanBuilder.span(trace: trace, span: 1, startMicros: start, tags: [tag]))
            spans.append(SpanBuilder.span(trace: trace, span: 2, startMicros: start + rng.next() % 2_000_000, tags: [tag]))
        }
        for i in stride(from: spans.count - 1, to: 0, by: -1) { spans.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let now = Self.t0 * 1000 + SpanStoreTests.hour
        for request in stride(from: 0, to: spans.count, by: 200) {
            _ = try store.write([store.prepare(tenant: "", spans: Array(spans[request..<min(request + 200, spans.count)]))], now: now)
        }
        let nanos = { (micros: UInt64) in micros * 1000 }
        let windows: [(UInt64, UInt64)] = [
            (0, .max), (nanos(Self.t0 + 20_000_000), nanos(Self.t0 + 70_000_000)), (nanos(Self.t0 + 99_000_000), .max),
        ]
        let scans: [IndexScan] = [.service("svc"), .tag(service: "svc", key: "k", value: "a")]
        var pendingResults: [Set<UInt64>] = []
        for index in scans {
            for window in windows {
                let visits = try scan(store, index, from: window.0, to: window.1)
                // Newest first, never beyond the window's end.
                #expect(zip(visits, visits.dropFirst()).allSatisfy { $0.1 >= $1.1 })
                #expect(visits.allSatisfy { $0.1 <= window.1 })
                // Every trace with a span in the window and the key (a superset is allowed: a pending posting stands for
                // a trace's first and last start).
                let keyed = spans.filter { index == .service("svc") || $0.tags == [.string("k", "a")] }
                let expected = Set(
                    keyed.filter { $0.startTimeUnixNanos >= window.0 && $0.startTimeUnixNanos <= window.1 }.map(\.traceID.low))
                let visited = Set(visits.map(\.0))
                #expect(expected.count > 10)
                #expect(visited.isSuperset(of: expected))
                #expect(visited.isSubset(of: Set(keyed.map(\.traceID.low))))
                pendingResults.append(visited)
                // A scan stopped early gets the newest traces.
                let first = try scan(store, index, from: window.0, to: window.1, stopAfter: 20)
                #expect(first.map(\.0) == Array(visits.prefix(20).map(\.0)))
            }
        }
        // The same traces once the postings are lists.
        try store.flushIndex(now: now)
        var flushedResults: [Set<UInt64>] = []
        for index in scans {
            for window in windows { flushedResults.append(Set(try scan(store, index, from: window.0, to: window.1).map(\.0))) }
        }
        #expect(flushedResults == pendingResults)
    }

    /// Time-ordered arrival with late spans, one span dated a day ahead (its start bounds every later posting, so the
    /// early stop cannot apply), and postings split between the live and the flushing index: paged reads visit what
    /// whole reads do, newest first.
    @Test func pagedReadsMatchWholeReadsAcrossLiveAndFlushingPostings() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        var rng = SplitMix(seed: 5)
        let now = Self.t0 * 1000 + SpanStoreTests.hour
        func request(_ traces: ClosedRange<UInt64>, future: Bool = false) throws {
            var spans: [Span] = []
            for trace in traces {
                // Mostly in arrival order; one in ten is up to 20 s late.
                let start = Self.t0 + trace * 20_000 - (trace % 10 == 0 ? rng.next() % 20_000_000 : 0)
                let tag = Attribute.string("k", trace % 2 == 0 ? "a" : "b")
                spans.append(SpanBuilder.span(trace: trace, span: 1, startMicros: start, tags: [tag, tag]))  // a repeated tag
                spans.append(SpanBuilder.span(trace: trace, span: 2, startMicros: start + 1_000, tags: [tag]))
            }
            if future { spans.append(SpanBuilder.span(trace: 99_999, span: 1, startMicros: Self.t0 + 86_400_000_000)) }
            _ = try store.write([store.prepare(tenant: "", spans: spans)], now: now)
        }
        for first in stride(from: UInt64(1), through: 1_801, by: 200) { try request(first...(first + 199), future: first == 601) }
        _ = store.pending.withLock { $0.startFlush() }  // these postings are now the flushing index's
        for first in stride(from: UInt64(2_001), through: 3_801, by: 200) { try request(first...(first + 199)) }
        defer { store.pending.withLock { $0.abandonFlush() } }

        func visits(_ index: IndexScan, _ window: (UInt64, UInt64), whole: Bool, stopAfter: Int = .max) throws -> [(UInt64, UInt64)] {
            try scan(store, index, from: window.0, to: window.1, whole: whole, stopAfter: stopAfter)
        }
        let t = { (micros: UInt64) in micros * 1000 }
        for index in [IndexScan.service("svc"), .tag(service: "svc", key: "k", value: "a")] {
            for window in [(UInt64(0), UInt64.max), (t(Self.t0 + 10_000_000), t(Self.t0 + 50_000_000)), (t(Self.t0 + 70_000_000), .max)] {
                let paged = try visits(index, window, whole: false)
                let whole = try visits(index, window, whole: true)
                #expect(zip(paged, paged.dropFirst()).allSatisfy { $0.1 >= $1.1 })
                #expect(Set(paged.map(\.0)) == Set(whole.map(\.0)))
                #expect(Set(whole.map(\.0)).count > 100)
                // Stopped early, a paged scan gets the newest traces first.
                let first = try visits(index, window, whole: false, stopAfter: 30)
                #expect(first.map(\.1) == Array(whole.map(\.1).prefix(30)))
            }
        }
    }

    /// Retention drops the older of two buckets whose postings are interleaved in the pending index (every request
    /// holds traces of both), leaving thousands of the newer bucket's postings pending, some of them late. The rebuilt
    /// index must keep the order of the spans it keeps (`maxStartThrough` bounds a group's older postings by span
    /// index): paged reads still visit what whole reads do, newest first, a scan stopped early (within the first page
    /// or past it) gets the newest traces, and nothing of the dropped bucket is visited.
    @Test func pagedReadsAfterRetentionDropsAnInterleavedBucketMatchWholeReads() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        // Buckets of an hour: the old one is [t0, t0 + 1 h), the kept one [t0 + 1 h, t0 + 2 h).
        let store = try TestStores.open(dir, retentionNanos: 12 * SpanStoreTests.hour)
        let hourMicros: UInt64 = 3_600_000_000
        var rng = SplitMix(seed: 23)
        var spans: [Span] = []
        for trace in UInt64(1)...4_500 {
            // A third of the traces in the old bucket. 0.7 s apart in arrival order; one in seven is up to 30 s late.
            let bucketStart = Self.t0 + (trace % 3 == 0 ? 0 : hourMicros)
            let start = bucketStart + 60_000_000 + trace * 700_000 - (trace % 7 == 0 ? rng.next() % 30_000_000 : 0)
            let tag = Attribute.string("k", trace % 2 == 0 ? "a" : "b")
            spans.append(SpanBuilder.span(trace: trace, span: 1, startMicros: start, tags: [tag]))
            spans.append(SpanBuilder.span(trace: trace, span: 2, startMicros: start + 1_000, tags: [tag]))
        }
        let now = Self.t0 * 1000 + 2 * SpanStoreTests.hour
        for request in stride(from: 0, to: spans.count, by: 400) {
            _ = try store.write([store.prepare(tenant: "", spans: Array(spans[request..<min(request + 400, spans.count)]))], now: now)
        }
        let oldBucket = Self.t0 / 1_000_000
        let keptBucket = oldBucket + 3_600
        let before = store.pendingPostingsByBucket()
        #expect(Set(before.keys) == [oldBucket, keptBucket])
        let keptPostings = try #require(before[keptBucket])
        #expect((before[oldBucket] ?? 0) > 1_000)

        #expect(try store.applyRetention(now: Self.t0 * 1000 + 13 * SpanStoreTests.hour) == 1)
        // The old bucket's postings left the pending index; every posting of the kept one stayed.
        #expect(store.pendingPostingsByBucket() == [keptBucket: keptPostings])
        #expect(store.pending.withLock { $0.groups.postingCount } == keptPostings)
        #expect(store.allBuckets.map(\.startSeconds) == [keptBucket])

        let t = { (micros: UInt64) in micros * 1000 }
        let kept = spans.filter { $0.startTimeUnixNanos >= t(Self.t0 + hourMicros) }
        for index in [IndexScan.service("svc"), .tag(service: "svc", key: "k", value: "a")] {
            let keyed = kept.filter { index == .service("svc") || $0.tags == [.string("k", "a")] }
            for window in [
                (UInt64(0), UInt64.max), (t(Self.t0 + hourMicros + 600_000_000), t(Self.t0 + hourMicros + 2_000_000_000)),
                (t(Self.t0 + hourMicros + 1_800_000_000), .max),
            ] {
                let paged = try scan(store, index, from: window.0, to: window.1)
                let whole = try scan(store, index, from: window.0, to: window.1, whole: true)
                #expect(zip(paged, paged.dropFirst()).allSatisfy { $0.1 >= $1.1 })
                #expect(paged.allSatisfy { $0.1 <= window.1 })
                #expect(Set(paged.map(\.0)) == Set(whole.map(\.0)))
                // Every kept trace with a span in the window (more than a page of them), and only kept traces.
                let expected = Set(
                    keyed.filter { $0.startTimeUnixNanos >= window.0 && $0.startTimeUnixNanos <= window.1 }.map(\.traceID.low))
                #expect(expected.count > 2 * SpanStore.pendingScanEntries)
                #expect(Set(whole.map(\.0)).isSuperset(of: expected))
                #expect(Set(whole.map(\.0)).isSubset(of: Set(keyed.map(\.traceID.low))))
                // Stopped early, within the first page or past it, a paged scan gets the newest traces.
                for stopAfter in [30, 300] {
                    let first = try scan(store, index, from: window.0, to: window.1, stopAfter: stopAfter)
                    #expect(first.map(\.1) == Array(whole.map(\.1).prefix(stopAfter)))
                }
            }
            // The dropped bucket's hour: nothing, paged or whole.
            #expect(try scan(store, index, from: t(Self.t0), to: t(Self.t0 + hourMicros) - 1).isEmpty)
            #expect(try scan(store, index, from: t(Self.t0), to: t(Self.t0 + hourMicros) - 1, whole: true).isEmpty)
        }
    }

    /// An index flush that finishes between two passes of a paged scan. The first pass reads a page of pending entries
    /// (`SpanStore.pendingScanEntries`) and, while it visits them, the flush runs (from the visit callback: a scan
    /// holds no lock while it visits) and turns every pending posting into posting lists. The next pass reads on from
    /// the last entry used and finds the rest in the lists: every trace in the window is visited (repeats allowed),
    /// newest first, and nothing outside it. One span per trace, so pending entries and list entries carry the same
    /// start.
    @Test func aFlushBetweenTwoPassesOfAPagedScanLosesNothing() throws {
        var rng = SplitMix(seed: 31)
        var spans: [Span] = []
        for trace in UInt64(1)...2_000 {
            // 0.1 s apart in arrival order; one in eight is up to 20 s late.
            let start = Self.t0 + 30_000_000 + trace * 100_000 - (trace % 8 == 0 ? rng.next() % 20_000_000 : 0)
            let tag = Attribute.string("k", trace % 2 == 0 ? "a" : "b")
            spans.append(SpanBuilder.span(trace: trace, span: 1, startMicros: start, tags: [tag]))
        }
        let now = Self.t0 * 1000 + SpanStoreTests.hour
        let t = { (micros: UInt64) in micros * 1000 }
        for index in [IndexScan.service("svc"), .tag(service: "svc", key: "k", value: "a")] {
            let keyed = spans.filter { index == .service("svc") || $0.tags == [.string("k", "a")] }
            for window in [(UInt64(0), UInt64.max), (t(Self.t0 + 60_000_000), t(Self.t0 + 180_000_000))] {
                let expected = Set(
                    keyed.filter { $0.startTimeUnixNanos >= window.0 && $0.startTimeUnixNanos <= window.1 }.map(\.traceID.low))
                #expect(expected.count > 2 * SpanStore.pendingScanEntries)
                // The flush after the first visit, or late in the first page.
                for flushAfter in [1, 200] {
                    let dir = TemporaryDirectory()
                    defer { dir.cleanup() }
                    let store = try TestStores.open(dir)
                    for request in stride(from: 0, to: spans.count, by: 200) {
                        let batch = Array(spans[request..<min(request + 200, spans.count)])
                        _ = try store.write([store.prepare(tenant: "", spans: batch)], now: now)
                    }
                    var visits: [(UInt64, UInt64)] = []
                    var flushed = false
                    try store.scan(tenant: "", index: index, startMin: window.0, startMax: window.1) { id, start in
                        visits.append((id.low, start))
                        if visits.count == flushAfter { flushed = (try? store.flushIndex(now: now)) != nil }
                        return true
                    }
                    #expect(flushed)
                    #expect(store.pending.withLock { $0.groups.isEmpty && $0.flushing == nil && $0.journal.isEmpty })
                    // Nothing was flushed before, so the first pass visited pending entries only, fewer than its page
                    // holds (the last one is where the next pass starts): more visits mean a pass after the flush.
                    #expect(visits.count > SpanStore.pendingScanEntries)
                    #expect(zip(visits, visits.dropFirst()).allSatisfy { $0.1 >= $1.1 })
                    #expect(visits.allSatisfy { $0.1 >= window.0 && $0.1 <= window.1 })
                    #expect(Set(visits.map(\.0)) == expected)
                }
            }
        }
    }
}
