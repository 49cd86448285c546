import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

/// Tenants, services and operations are told apart by their UTF-8 bytes, as the store's keys are. Swift's `String`
/// equality treats canonically equivalent spellings ("caf\u{E9}" and "cafe\u{301}") as equal; where the store keyed
/// its in-memory catalog, pending summaries or dependency counts by `String`, one tenant saw or absorbed the other's.
struct TenantSpellingTests {
    static let t0 = RollupStoreTests.t0
    static let now = RollupStoreTests.t0Nanos + RollupStoreTests.hour

    private func write(_ store: SpanStore, tenant: String, service: String, operation: String, trace: UInt64, offset: UInt64 = 0) throws {
        let spans = [
            SpanBuilder.span(trace: trace, span: 1, service: "front", operation: "root", startMicros: Self.t0 + offset, durationMicros: 100),
            SpanBuilder.span(
                trace: trace, span: 2, parent: 1, service: service, operation: operation, startMicros: Self.t0 + offset + 10,
                durationMicros: 10),
        ]
        _ = try store.write([store.prepare(tenant: tenant, spans: spans)], now: Self.now)
    }

    private func exact(_ names: [String]) -> [[UInt8]] { names.map { Array($0.utf8) } }

    private func links(_ store: SpanStore, _ tenant: String) throws -> [DependencyLink] {
        try store.dependencies(tenant: tenant, startNanos: RollupStoreTests.t0Nanos - RollupStoreTests.hour, endNanos: Self.now)
    }

    @Test func equivalentSpellingsAreSeparateTenantsBeforeAndAfterARestart() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            // The same trace id in both tenants, so their pending summaries would share a key if tenants collapsed.
            try write(store, tenant: Spellings.composed, service: "db-a", operation: "query-a", trace: 7)
            try write(store, tenant: Spellings.decomposed, service: "db-b", operation: "query-b", trace: 7, offset: 5_000_000)
            for reopened in [false, true] {
                let current = reopened ? try TestStores.open(dir) : store
                defer { if reopened { current.database.close() } }
                #expect(exact(current.services(tenant: Spellings.composed)) == exact(["db-a", "front"]))
                #expect(exact(current.services(tenant: Spellings.decomposed)) == exact(["db-b", "front"]))
                #expect(current.operations(tenant: Spellings.composed, service: "db-a").map(\.name) == ["query-a"])
                #expect(current.operations(tenant: Spellings.decomposed, service: "db-a").isEmpty)
                #expect(try links(current, Spellings.composed) == [DependencyLink(parent: "front", child: "db-a", callCount: 1)])
                #expect(try links(current, Spellings.decomposed) == [DependencyLink(parent: "front", child: "db-b", callCount: 1)])
                if !reopened {
                    // Each tenant's pending summary holds only its own spans: 100 µs from its own start.
                    let buckets = current.allBuckets.map(\.ref)
                    let first = try #require(current.pending.withLock { $0.summary(tenant: Spellings.composed, traceID: TraceID(high: 0, low: 7), buckets: buckets) })
                    let second = try #require(current.pending.withLock { $0.summary(tenant: Spellings.decomposed, traceID: TraceID(high: 0, low: 7), buckets: buckets) })
                    #expect(first.minStartUnixNanos == Self.t0 * 1000 && first.maxEndUnixNanos == (Self.t0 + 100) * 1000 && first.spanCount == 2)
                    #expect(second.minStartUnixNanos == (Self.t0 + 5_000_000) * 1000 && second.maxEndUnixNanos == (Self.t0 + 5_000_100) * 1000 && second.spanCount == 2)
                    try store.flushIndex(now: Self.now)
                    store.database.close()
                }
            }
        }
    }

    /// Consecutive spans of one request whose services differ only in spelling keep their own services (the
    /// last-name shortcut of `prepare` compares bytes), in the catalog and in the Monitor rollups.
    @Test func equivalentSpellingsInOneRequestKeepTheirServices() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let spans = [
            SpanBuilder.span(trace: 1, span: 1, service: Spellings.composed, operation: "op", startMicros: Self.t0),
            SpanBuilder.span(trace: 1, span: 2, service: Spellings.decomposed, operation: "op", startMicros: Self.t0 + 1),
            SpanBuilder.span(trace: 1, span: 3, service: Spellings.decomposed, operation: "op", startMicros: Self.t0 + 2),
        ]
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: Self.now)
        #expect(Set(exact(store.services(tenant: ""))) == Set(exact([Spellings.composed, Spellings.decomposed])))
        func calls(_ service: String) throws -> UInt64 {
            try store.rollups(
                tenant: "", service: service, kinds: [], startNanos: RollupStoreTests.t0Nanos - RollupStoreTests.hour,
                endNanos: Self.now, resolution: .minute
            ).reduce(0) { $0 + $1.rollup.count }
        }
        #expect(try calls(Spellings.composed) == 1)
        #expect(try calls(Spellings.decomposed) == 2)
    }

    /// Keys that hash several strings keep the strings' boundaries.
    @Test func exactStringHashesKeepFieldBoundaries() {
        func hash(_ parts: [String]) -> Int {
            var hasher = Hasher()
            for part in parts { ExactString(part).hash(into: &hasher) }
            return hasher.finalize()
        }
        #expect(hash(["ab", "c"]) != hash(["a", "bc"]))
        #expect(hash(["ab", "c"]) == hash(["ab", "c"]))
    }

    @Test func equivalentServiceAndOperationSpellingsAreListedApart() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try write(store, tenant: "", service: Spellings.composed, operation: Spellings.composed, trace: 1)
        try write(store, tenant: "", service: Spellings.decomposed, operation: Spellings.decomposed, trace: 2)
        #expect(exact(store.services(tenant: "")).sorted { $0.lexicographicallyPrecedes($1) }
            == exact(["front", Spellings.composed, Spellings.decomposed]).sorted { $0.lexicographicallyPrecedes($1) })
        #expect(exact(store.operations(tenant: "", service: Spellings.composed).map(\.name)) == exact([Spellings.composed]))
        #expect(exact(store.operations(tenant: "", service: Spellings.decomposed).map(\.name)) == exact([Spellings.decomposed]))
        #expect(try links(store, "").count == 2)
    }

    // MARK: - Byte order of listed names

    /// Sorts between the two spellings by bytes ("caf" + 66, after 65 and before C3), but before both by `String <`,
    /// which compares the NFC form "caf\u{E9}": an order by `String` and one by bytes always differ.
    static let between = "caff"

    /// front → each of the three names (operation "op"), and front → api with each name as an operation.
    private func writeThreeNames(_ store: SpanStore) throws {
        for (trace, name) in [Spellings.composed, Spellings.between, Spellings.decomposed].enumerated() {
            try write(store, tenant: "", service: name, operation: "op", trace: UInt64(trace + 1))
            try write(store, tenant: "", service: "api", operation: name, trace: UInt64(trace + 11))
        }
    }

    /// Services and a service's operations are listed in byte order ("cafe\u{301}" before "caff" before
    /// "caf\u{E9}"), whatever order they were written in; `String <` put "caff" first and left the two spellings'
    /// order to the dictionary.
    @Test func servicesAndOperationsAreListedInByteOrder() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        defer { store.close() }
        try writeThreeNames(store)
        #expect(exact(store.services(tenant: "")) == exact(["api", Spellings.decomposed, Spellings.between, Spellings.composed, "front"]))
        #expect(exact(store.operations(tenant: "", service: "api").map(\.name)) == exact([Spellings.decomposed, Spellings.between, Spellings.composed]))
    }

    /// Dependency links are sorted by the parent's then the child's bytes, and a service's rollups by slot, then the
    /// operation's bytes.
    @Test func dependenciesAndRollupsAreSortedByBytes() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        defer { store.close() }
        try writeThreeNames(store)
        let children = try links(store, "").map { [Array($0.parent.utf8), Array($0.child.utf8), Array("\($0.callCount)".utf8)] }
        #expect(children == [
            exact(["front", "api", "3"]), exact(["front", Spellings.decomposed, "1"]), exact(["front", Spellings.between, "1"]),
            exact(["front", Spellings.composed, "1"]),
        ])
        let slots = try store.rollups(
            tenant: "", service: "api", kinds: [], startNanos: RollupStoreTests.t0Nanos - RollupStoreTests.hour,
            endNanos: Self.now, resolution: .minute)
        #expect(exact(slots.map(\.operation)) == exact([Spellings.decomposed, Spellings.between, Spellings.composed]))
        #expect(slots.map(\.rollup.count) == [1, 1, 1])
        #expect(Set(slots.map(\.slotStartSeconds)).count == 1)
    }
}
