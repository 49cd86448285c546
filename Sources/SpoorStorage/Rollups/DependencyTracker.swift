import SpoorModel

/// What the dependency tracker needs of a span: who it is, who its parent is, which service, when and where.
struct EdgeSpan: Sendable {
    var traceID: TraceID
    var spanID: SpanID
    var parentSpanID: SpanID?
    var service: String
    var startNanos: UInt64
    var bucket: BucketRef
}

/// A parent→child service call found by the tracker, counted in the child's minute and bucket.
struct FoundEdge: Hashable {
    var parent: String
    var child: String
    var childStartNanos: UInt64
    var bucket: BucketRef
}

/// Finds parent→child service pairs as spans are written, so dependencies never need a scan of the spans.
///
/// A span's parent usually arrives in the same export or shortly after it (a child ends, and is exported, before its
/// parent), so the tracker remembers recent spans by (tenant, trace, span id) → service, and children whose parent it
/// has not seen yet. Both maps are generational: when the current generation is full, it becomes the previous one
/// and the old previous one is forgotten, which bounds memory (about `2 × generationSize` spans). An edge whose two
/// ends arrive further apart than that, or across a restart, is not counted.
struct DependencyTracker {
    private struct Known {
        var service: UInt32
    }

    private struct Waiting {
        var childService: UInt32
        var childStartNanos: UInt64
        var bucket: BucketRef
    }

    let generationSize: Int
    /// Distinct service names above which the tracker forgets everything (ids would otherwise pin unbounded strings).
    let maxServices: Int
    private var known: [UInt64: Known] = [:]
    private var knownPrevious: [UInt64: Known] = [:]
    private var waiting: [UInt64: [Waiting]] = [:]
    private var waitingPrevious: [UInt64: [Waiting]] = [:]
    private var serviceIDs: [String: UInt32] = [:]
    private var serviceNames: [String] = []

    init(generationSize: Int = 500_000, maxServices: Int = 100_000) {
        self.generationSize = max(1, generationSize)
        self.maxServices = max(1, maxServices)
    }

    /// Spans remembered (both generations), for tests.
    var rememberedSpans: Int { known.count + knownPrevious.count }

    /// Records the spans of one write for `tenant` and returns the edges they complete.
    ///
    /// All spans are registered before parents are looked up, so the order of spans within a write does not matter.
    /// A span id seen before (a resent span) completes nothing again.
    mutating func record(tenant: String, _ spans: [EdgeSpan]) -> [FoundEdge] {
        // Only here, before any span of this call is numbered: a reset in the middle of a call would leave the numbers
        // already handed out (in `fresh`, in the last-service cache) pointing past the emptied table.
        if serviceIDs.count > maxServices { forgetEverything() }
        var edges: [FoundEdge] = []
        var fresh: [(key: UInt64, span: EdgeSpan, service: UInt32)] = []
        fresh.reserveCapacity(spans.count)
        let tenantHash = Self.tenantHash(tenant)
        // Spans of one service come in runs: the last one's number is reused while the name is the same.
        var lastService: (name: String, id: UInt32)? = nil
        for span in spans {
            let key = Self.key(tenantHash, traceID: span.traceID, spanID: span.spanID)
            guard lookup(key) == nil else { continue }
            let service: UInt32
            if let last = lastService, last.name == span.service {
                service = last.id
            } else {
                service = intern(span.service)
                lastService = (span.service, service)
            }
            insertKnown(key, Known(service: service))
            fresh.append((key, span, service))
        }
        for (_, span, service) in fresh {
            guard let parentID = span.parentSpanID, parentID != span.spanID else { continue }
            let parentKey = Self.key(tenantHash, traceID: span.traceID, spanID: parentID)
            if let parent = lookup(parentKey) {
                edges.append(
                    FoundEdge(
                        parent: serviceNames[Int(parent.service)], child: span.service, childStartNanos: span.startNanos,
                        bucket: span.bucket))
            } else {
                waiting[parentKey, default: []].append(
                    Waiting(childService: service, childStartNanos: span.startNanos, bucket: span.bucket))
            }
        }
        for (key, span, _) in fresh {
            var children = waiting.removeValue(forKey: key) ?? []
            children += waitingPrevious.removeValue(forKey: key) ?? []
            for child in children {
                edges.append(
                    FoundEdge(
                        parent: span.service, child: serviceNames[Int(child.childService)],
                        childStartNanos: child.childStartNanos, bucket: child.bucket))
            }
        }
        if waiting.count > generationSize {
            waitingPrevious = waiting
            waiting = [:]
        }
        return edges
    }

    private func lookup(_ key: UInt64) -> Known? { known[key] ?? knownPrevious[key] }

    private mutating func insertKnown(_ key: UInt64, _ value: Known) {
        if known.count >= generationSize {
            knownPrevious = known
            known = [:]
            known.reserveCapacity(generationSize)
        }
        known[key] = value
    }

    private mutating func intern(_ service: String) -> UInt32 {
        if let id = serviceIDs[service] { return id }
        let id = UInt32(serviceNames.count)
        serviceNames.append(service)
        serviceIDs[service] = id
        return id
    }

    /// Forgets every span, waiting child and service name: the service table grew past `maxServices`.
    private mutating func forgetEverything() {
        known = [:]
        knownPrevious = [:]
        waiting = [:]
        waitingPrevious = [:]
        serviceIDs = [:]
        serviceNames = []
    }

    /// FNV-1a over tenant, trace id and span id: the map key of a span.
    static func key(tenant: String, traceID: TraceID, spanID: SpanID) -> UInt64 {
        key(tenantHash(tenant), traceID: traceID, spanID: spanID)
    }

    /// The FNV-1a state after a tenant's bytes and their terminator: where every key of that tenant starts.
    private static func tenantHash(_ tenant: String) -> FNV1a64 {
        var hasher = FNV1a64()
        for byte in tenant.utf8 { hasher.add(byte) }
        hasher.add(0xFF)
        return hasher
    }

    private static func key(_ tenant: FNV1a64, traceID: TraceID, spanID: SpanID) -> UInt64 {
        var hasher = tenant
        hasher.add(littleEndian: traceID.high)
        hasher.add(littleEndian: traceID.low)
        hasher.add(littleEndian: spanID.value)
        return hasher.value
    }
}
