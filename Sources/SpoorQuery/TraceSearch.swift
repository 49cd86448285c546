import SpoorModel
import SpoorStorage

/// Answers trace queries from the store's indexes: plans index scans, intersects their candidate trace ids, then
/// verifies each candidate on its spans (one span must satisfy every predicate, spec/query-api.md §6.1).
package struct TraceSearch: Sendable {
    /// The store searched (dependencies and metrics read its rollups).
    package let store: SpanStore
    /// Most candidate traces one index scan may contribute before the scan stops.
    private let maxCandidatesPerScan: Int

    /// Creates a search over `store`.
    package init(store: SpanStore, maxCandidatesPerScan: Int = 200_000) {
        self.store = store
        self.maxCandidatesPerScan = maxCandidatesPerScan
    }

    /// The spans of one trace, or nil when neither a live bucket nor the archive holds it (live data first, as
    /// Jaeger reads its primary store before the archive).
    package func trace(tenant: String, id: TraceID) throws(StorageError) -> [Span]? {
        let spans = try store.trace(tenant: tenant, traceID: id)
        if !spans.isEmpty { return spans }
        let archived = try store.archivedTrace(tenant: tenant, traceID: id)
        return archived.isEmpty ? nil : archived
    }

    /// Copies a trace to the archive; false when no live bucket holds it.
    package func archive(tenant: String, id: TraceID) throws(StorageError) -> Bool {
        try store.archive(tenant: tenant, traceID: id) > 0
    }

    /// Services of the tenant, sorted.
    package func services(tenant: String) -> [String] { store.services(tenant: tenant) }

    /// Operations of a service, optionally of one kind, sorted by name.
    package func operations(tenant: String, service: String, kind: SpanKind? = nil) -> [OperationKey] {
        store.operations(tenant: tenant, service: service).filter { kind == nil || $0.kind == kind }
    }

    /// At most `query.limit` matching traces, newest first, each complete.
    package func find(tenant: String, query: TraceQuery) throws(StorageError) -> [[Span]] {
        let limit = query.limit > 0 ? query.limit : TraceQuery.defaultLimit
        if let service = query.serviceName, let scan = Self.singleTimeOrderedScan(service: service, query: query) {
            return try stream(tenant: tenant, scan: scan, query: query, limit: limit)
        }
        let services = query.serviceName.map { [$0] } ?? store.services(tenant: tenant)
        var candidates = CandidateTraces()
        for service in services {
            let found = try candidatesFor(service: service, tenant: tenant, query: query)
            if services.count == 1 {
                candidates = found
            } else {
                for (id, start) in found.entries { candidates.add(id, start: start) }
            }
        }
        var results: [[Span]] = []
        for id in candidates.newestFirst() {
            guard results.count < limit else { break }
            if let spans = try verified(tenant: tenant, id: id, query: query) { results.append(spans) }
        }
        return results
    }

    /// The one index scan a query needs, when it needs exactly one that visits entries newest first (service,
    /// operation or one tag; not duration, which visits in duration order).
    private static func singleTimeOrderedScan(service: String, query: TraceQuery) -> IndexScan? {
        guard query.durationMinNanos == nil, query.durationMaxNanos == nil else { return nil }
        switch (query.tags.count, query.operationName) {
        case (0, nil): return .service(service)
        case (0, let operation?): return .operation(service: service, operation: operation)
        case (1, nil): return .tag(service: service, key: query.tags[0].key, value: query.tags[0].value)
        default: return nil
        }
    }

    /// Walks one newest-first index and verifies each new trace as it comes, stopping at `limit` matches: a search
    /// for the latest 20 traces reads about 20 traces, however many the window holds.
    private func stream(tenant: String, scan: IndexScan, query: TraceQuery, limit: Int) throws(StorageError) -> [[Span]] {
        var seen = TraceIndexTable()
        var results: [[Span]] = []
        var failure: StorageError? = nil
        let cap = maxCandidatesPerScan
        try store.scan(tenant: tenant, index: scan, startMin: query.startTimeMinUnixNanos, startMax: query.startTimeMaxUnixNanos) {
            id, _ in
            guard seen.insert(id).inserted else { return true }
            do throws(StorageError) {
                if let spans = try verified(tenant: tenant, id: id, query: query) { results.append(spans) }
            } catch {
                failure = error
                return false
            }
            return results.count < limit && seen.count < cap
        }
        if let failure { throw failure }
        return results
    }

    /// The trace's spans when it passes the whole-trace duration bounds and one span satisfies the query.
    private func verified(tenant: String, id: TraceID, query: TraceQuery) throws(StorageError) -> [Span]? {
        if query.traceDurationMinNanos != nil || query.traceDurationMaxNanos != nil {
            // The per-trace summary answers whole-trace duration without loading the spans.
            guard let summary = try store.summary(tenant: tenant, traceID: id) else { return nil }
            if let min = query.traceDurationMinNanos, summary.durationNanos < min { return nil }
            if let max = query.traceDurationMaxNanos, summary.durationNanos > max { return nil }
        }
        let spans = try store.trace(tenant: tenant, traceID: id)
        return spans.contains(where: { SpanPredicate.matches($0, query) }) ? spans : nil
    }

    /// Candidate traces of one service: the intersection of every applicable index scan.
    private func candidatesFor(service: String, tenant: String, query: TraceQuery) throws(StorageError) -> CandidateTraces {
        var scans: [IndexScan] = query.tags.map { .tag(service: service, key: $0.key, value: $0.value) }
        if let operation = query.operationName { scans.append(.operation(service: service, operation: operation)) }
        if query.durationMinNanos != nil || query.durationMaxNanos != nil {
            scans.append(
                .duration(service: service, minNanos: query.durationMinNanos ?? 0, maxNanos: query.durationMaxNanos ?? .max))
        }
        if scans.isEmpty { scans.append(.service(service)) }

        var result: CandidateTraces? = nil
        for scan in scans {
            var found = CandidateTraces()
            let cap = maxCandidatesPerScan
            try store.scan(
                tenant: tenant, index: scan, startMin: query.startTimeMinUnixNanos, startMax: query.startTimeMaxUnixNanos,
                visitsAll: true
            ) { id, start in
                if result?.contains(id) ?? true { found.add(id, start: start) }
                return found.count < cap
            }
            result = found
            if found.isEmpty { return found }
        }
        return result ?? CandidateTraces()
    }
}

/// The single-span predicate of a search.
package enum SpanPredicate {
    /// True when `span` satisfies every filter of `query` on its own.
    package static func matches(_ span: Span, _ query: TraceQuery) -> Bool {
        // Names match byte for byte, as the index keys that found the candidate do (not by canonical equivalence).
        if let service = query.serviceName, !span.process.serviceName.hasSameUTF8(as: service) { return false }
        if let operation = query.operationName, !span.operationName.hasSameUTF8(as: operation) { return false }
        if span.startTimeUnixNanos < query.startTimeMinUnixNanos || span.startTimeUnixNanos > query.startTimeMaxUnixNanos {
            return false
        }
        if let min = query.durationMinNanos, span.durationNanos < min { return false }
        if let max = query.durationMaxNanos, span.durationNanos > max { return false }
        for filter in query.tags where !hasTag(span, filter) { return false }
        return true
    }

    private static func hasTag(_ span: Span, _ filter: TagFilter) -> Bool {
        func match(_ attributes: [Attribute]) -> Bool {
            attributes.contains { $0.key.hasSameUTF8(as: filter.key) && $0.value.searchString.hasSameUTF8(as: filter.value) }
        }
        return match(span.tags) || match(span.process.tags) || span.logs.contains { match($0.fields) }
    }
}
