import SpoorModel

/// What is known of a whole trace, merged as its spans arrive (summed in memory between index flushes, then a RocksDB
/// merge operand per flush; see `PendingSummaries`).
///
/// ```
/// [version:u8 = 1] [minStart:u64 LE] [maxEnd:u64 LE] [spanCount:u32 LE] [errorCount:u32 LE]
/// [rootStart:u64 LE (UInt64.max = no root seen)] str(rootService) str(rootOperation)
/// ```
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

    /// Encodes the summary.
    package func encoded() -> [UInt8] {
        var out: [UInt8] = [1]
        StoredSpanCodec.putFixed64(minStartUnixNanos, &out)
        StoredSpanCodec.putFixed64(maxEndUnixNanos, &out)
        StoredSpanCodec.putFixed64(UInt64(spanCount) | UInt64(errorCount) << 32, &out)
        StoredSpanCodec.putFixed64(rootStartUnixNanos, &out)
        StoredSpanCodec.putString(rootService, &out)
        StoredSpanCodec.putString(rootOperation, &out)
        return out
    }

    /// Decodes a summary; nil when corrupt.
    package init?(_ bytes: UnsafeRawBufferPointer) {
        var r = ValueReader(bytes)
        do {
            guard try r.byte() == 1 else { return nil }
            minStartUnixNanos = try r.fixed64()
            maxEndUnixNanos = try r.fixed64()
            let counts = try r.fixed64()
            spanCount = UInt32(truncatingIfNeeded: counts)
            errorCount = UInt32(truncatingIfNeeded: counts >> 32)
            rootStartUnixNanos = try r.fixed64()
            rootService = try r.string()
            rootOperation = try r.string()
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
