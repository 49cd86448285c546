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

/// Finds parent→child service pairs as spans are written, so dependencies never need a scan of the spans.
///
/// A span's parent usually arrives in the same export or shortly after it (a child ends, and is exported, before its
/// parent), so the tracker remembers recent spans by (tenant, trace, span id) → service, and children whose parent it
/// has not seen yet. Both maps are generational: when the current generation is full, it becomes the previous one
/// and the old previous one is forgotten, which bounds memory (about `2 × generationSize` spans). An edge whose two
/// ends arrive further apart than that, or across a restart, is not counted.
struct DependencyTracker {
    private struct Waiting {
        var childService: UInt32
        var childStartNanos: UInt64
        var bucket: BucketRef
        /// Index + 1 of the next child waiting for the same parent (0: none).
        var next: UInt32
    }

    /// Children waiting for their parent: the parent's key → index + 1 of the newest child in `children`, which chain
    /// backwards through `next`.
    private struct WaitingGeneration {
        var parents: KeyTable
        var children: [Waiting] = []

        init(limit: Int) { parents = KeyTable(limit: limit) }

        /// Whether one more child could overload it (the chains of removed parents stay in `children` until the
        /// generation is dropped, so it is bounded by children, not only parents).
        var isFull: Bool { parents.isFull || children.count >= parents.limit }

        mutating func add(parent: UInt64, _ child: Waiting) {
            var child = child
            child.next = parents.value(parent) ?? 0
            children.append(child)
            parents.set(parent, UInt32(children.count))
        }

        /// Removes the children waiting for `parent` and appends them, oldest first.
        mutating func take(parent: UInt64, into found: inout [Waiting]) {
            guard !parents.isEmpty, var next = parents.remove(parent) else { return }
            let first = found.count
            while next != 0 {
                found.append(children[Int(next) - 1])
                next = children[Int(next) - 1].next
            }
            found[first...].reverse()
        }

        mutating func removeAll() {
            parents.removeAll()
            children.removeAll(keepingCapacity: true)
        }
    }

    let generationSize: Int
    /// Distinct service names above which the tracker forgets everything (ids would otherwise pin unbounded strings).
    let maxServices: Int
    /// Remembered spans: key → service number. Two generations; when the current one is full, it becomes the previous.
    private var known: KeyTable
    private var knownPrevious: KeyTable
    private var waiting: WaitingGeneration
    private var waitingPrevious: WaitingGeneration
    /// By exact UTF-8 bytes: canonically equivalent spellings are different services.
    private var serviceIDs: [ExactString: UInt32] = [:]
    private var serviceNames: [String] = []

    /// Seeds every span key, so span ids a client chooses cannot be made to collide in the tables.
    private static let seed = UInt64.random(in: .min ... .max)

    init(generationSize: Int = 500_000, maxServices: Int = 100_000) {
        // Children are numbered with UInt32 within a generation.
        self.generationSize = min(max(1, generationSize), Int(UInt32.max / 2))
        self.maxServices = max(1, maxServices)
        known = KeyTable(limit: self.generationSize)
        knownPrevious = KeyTable(limit: self.generationSize)
        waiting = WaitingGeneration(limit: self.generationSize)
        waitingPrevious = WaitingGeneration(limit: self.generationSize)
    }

    /// Spans remembered (both generations), for tests.
    var rememberedSpans: Int { known.count + knownPrevious.count }

    /// An edge found, its services by number (`serviceName`); the numbers hold until the next `recordServices`.
    struct ServiceEdge {
        var parent: UInt32
        var child: UInt32
        var childStartNanos: UInt64
        var bucket: BucketRef
    }

    /// The name of a service number from the last `recordServices`.
    func serviceName(_ id: UInt32) -> String { serviceNames[Int(id)] }

    /// Records the spans of one write for `tenant` and returns the edges they complete, services by number: the
    /// writer counts edges by number and looks up each distinct pair's names once.
    ///
    /// All spans are registered before parents are looked up, so the order of spans within a write does not matter.
    /// A span id seen before (a resent span) completes nothing again.
    mutating func recordServices(tenant: String, _ spans: [EdgeSpan]) -> [ServiceEdge] {
        // Only here, before any span of this call is numbered: a reset in the middle of a call would leave the numbers
        // already handed out (in `fresh`, in the last-service cache) pointing past the emptied table.
        if serviceIDs.count > maxServices { forgetEverything() }
        var edges: [ServiceEdge] = []
        var fresh: [(key: UInt64, span: EdgeSpan, service: UInt32)] = []
        fresh.reserveCapacity(spans.count)
        let tenantHash = Self.tenantHash(tenant)
        var lastService = LastName()
        for span in spans {
            let key = Self.key(tenantHash, traceID: span.traceID, spanID: span.spanID)
            guard lookup(key) == nil else { continue }
            let service = lastService.id(span.service) { intern($0) }
            insertKnown(key, service: service)
            fresh.append((key, span, service))
        }
        for (_, span, service) in fresh {
            guard let parentID = span.parentSpanID, parentID != span.spanID else { continue }
            let parentKey = Self.key(tenantHash, traceID: span.traceID, spanID: parentID)
            if let parent = lookup(parentKey) {
                edges.append(ServiceEdge(parent: parent, child: service, childStartNanos: span.startNanos, bucket: span.bucket))
            } else {
                if waiting.isFull {
                    swap(&waiting, &waitingPrevious)
                    waiting.removeAll()
                }
                waiting.add(
                    parent: parentKey, Waiting(childService: service, childStartNanos: span.startNanos, bucket: span.bucket, next: 0))
            }
        }
        var children: [Waiting] = []
        for (key, _, service) in fresh {
            children.removeAll(keepingCapacity: true)
            waiting.take(parent: key, into: &children)
            waitingPrevious.take(parent: key, into: &children)
            for child in children {
                edges.append(
                    ServiceEdge(parent: service, child: child.childService, childStartNanos: child.childStartNanos, bucket: child.bucket))
            }
        }
        return edges
    }

    private func lookup(_ key: UInt64) -> UInt32? { known.value(key) ?? knownPrevious.value(key) }

    private mutating func insertKnown(_ key: UInt64, service: UInt32) {
        if known.isFull {
            swap(&known, &knownPrevious)
            known.removeAll()
        }
        known.set(key, service)
    }

    private mutating func intern(_ service: String) -> UInt32 {
        let exact = ExactString(service)
        if let id = serviceIDs[exact] { return id }
        let id = UInt32(serviceNames.count)
        serviceNames.append(service)
        serviceIDs[exact] = id
        return id
    }

    /// Forgets every span, waiting child and service name: the service table grew past `maxServices`.
    private mutating func forgetEverything() {
        known.removeAll()
        knownPrevious.removeAll()
        waiting.removeAll()
        waitingPrevious.removeAll()
        serviceIDs = [:]
        serviceNames = []
    }

    /// The seeded hash of a tenant's bytes: where every key of that tenant starts.
    private static func tenantHash(_ tenant: String) -> UInt64 {
        var hasher = FNV1a64()
        for byte in tenant.utf8 { hasher.add(byte) }
        return WordHash.mix(hasher.value ^ seed)
    }

    /// The key of a span: tenant, trace id and span id mixed in turn. Each step is a bijection, so two spans of one
    /// trace never share a key; across traces keys collide with chance 2^-64.
    @inline(__always)
    private static func key(_ tenant: UInt64, traceID: TraceID, spanID: SpanID) -> UInt64 {
        WordHash.mix(WordHash.mix(WordHash.mix(tenant ^ traceID.high) ^ traceID.low) ^ spanID.value)
    }
}
