import SpoorModel

/// What is known of a whole trace, merged as its spans arrive (summed in memory between index flushes, then a RocksDB
/// merge operand per flush; see `PendingSummaries`).
///
/// ```
/// [version:u8 = 2] [minStart:u64 LE] [maxEnd − minStart: varint, wrapping] [spanCount:varint] [errorCount:varint]
/// [hasRoot:u8] [rootStart − minStart: varint, wrapping, only when hasRoot = 1] str(rootService) str(rootOperation)
/// ```
/// Stores before 2026-11-26 wrote version 1, still read (and merged into version 2):
/// ```
/// [version:u8 = 1] [minStart:u64 LE] [maxEnd:u64 LE] [spanCount:u32 LE] [errorCount:u32 LE]
/// [rootStart:u64 LE (UInt64.max = no root seen)] str(rootService) str(rootOperation)
/// ```
/// Version 2 writes the end and the root start as distances from the first start (a few bytes instead of eight each,
/// and the root usually is the first span): 17 bytes less per trace before compression.
package struct TraceSummary: Equatable, Sendable {
    package var minStartUnixNanos: UInt64 = .max
    package var maxEndUnixNanos: UInt64 = 0
    package var spanCount: UInt32 = 0
    package var errorCount: UInt32 = 0
    /// Start of the earliest span without a parent.
    package var rootStartUnixNanos: UInt64 = .max
    package var rootService = ""
    package var rootOperation = ""

    /// An empty summary.
    package init() {}

    /// Whole-trace duration (last end − first start).
    package var durationNanos: UInt64 { maxEndUnixNanos >= minStartUnixNanos ? maxEndUnixNanos - minStartUnixNanos : 0 }

    /// Adds one span.
    package mutating func add(_ span: Span) { add(span, isError: span.isError) }

    /// Adds one span whose `isError` is known.
    package mutating func add(_ span: Span, isError: Bool) {
        minStartUnixNanos = min(minStartUnixNanos, span.startTimeUnixNanos)
        maxEndUnixNanos = max(maxEndUnixNanos, span.endTimeUnixNanos)
        spanCount &+= 1
        if isError { errorCount &+= 1 }
        if span.parentSpanID == nil, span.startTimeUnixNanos < rootStartUnixNanos {
            rootStartUnixNanos = span.startTimeUnixNanos
            rootService = span.process.serviceName
            rootOperation = span.operationName
        }
    }

    /// Folds another summary in.
    package mutating func merge(_ other: TraceSummary) {
        minStartUnixNanos = min(minStartUnixNanos, other.minStartUnixNanos)
        maxEndUnixNanos = max(maxEndUnixNanos, other.maxEndUnixNanos)
        spanCount &+= other.spanCount
        errorCount &+= other.errorCount
        if other.rootStartUnixNanos < rootStartUnixNanos {
            rootStartUnixNanos = other.rootStartUnixNanos
            rootService = other.rootService
            rootOperation = other.rootOperation
        }
    }

    /// Encodes the summary (version 2). Wrapping distances make any field values round-trip, an empty summary's too.
    package func encoded() -> [UInt8] {
        var out: [UInt8] = [2]
        out.reserveCapacity(24 + rootService.utf8.count + rootOperation.utf8.count)
        StoredSpanCodec.putFixed64(minStartUnixNanos, &out)
        StoredSpanCodec.putVarint(maxEndUnixNanos &- minStartUnixNanos, &out)
        StoredSpanCodec.putVarint(UInt64(spanCount), &out)
        StoredSpanCodec.putVarint(UInt64(errorCount), &out)
        if rootStartUnixNanos == .max {
            out.append(0)
        } else {
            out.append(1)
            StoredSpanCodec.putVarint(rootStartUnixNanos &- minStartUnixNanos, &out)
        }
        StoredSpanCodec.putString(rootService, &out)
        StoredSpanCodec.putString(rootOperation, &out)
        return out
    }

    /// Decodes a summary of version 1 or 2; nil when corrupt.
    package init?(_ bytes: UnsafeRawBufferPointer) {
        var r = ValueReader(bytes)
        do {
            switch try r.byte() {
            case 1:
                minStartUnixNanos = try r.fixed64()
                maxEndUnixNanos = try r.fixed64()
                let counts = try r.fixed64()
                spanCount = UInt32(truncatingIfNeeded: counts)
                errorCount = UInt32(truncatingIfNeeded: counts >> 32)
                rootStartUnixNanos = try r.fixed64()
            case 2:
                minStartUnixNanos = try r.fixed64()
                maxEndUnixNanos = minStartUnixNanos &+ (try r.varint())
                guard let spans = UInt32(exactly: try r.varint()), let errors = UInt32(exactly: try r.varint()) else { return nil }
                spanCount = spans
                errorCount = errors
                switch try r.byte() {
                case 0: rootStartUnixNanos = .max
                case 1: rootStartUnixNanos = minStartUnixNanos &+ (try r.varint())
                default: return nil
                }
            default:
                return nil
            }
            rootService = try r.string()
            rootOperation = try r.string()
            guard r.remaining == 0 || bytes.first == 1 else { return nil }  // version 1 was never checked for it
        } catch {
            return nil
        }
    }

    /// Merges encoded operands (oldest first); corrupt operands are skipped.
    static func merge(_ parts: [UnsafeRawBufferPointer]) -> [UInt8] {
        var total = TraceSummary()
        for part in parts {
            if let summary = TraceSummary(part) { total.merge(summary) }
        }
        return total.encoded()
    }
}
