import SpoorModel

/// Corrects child spans whose clock disagrees with their parent's, following Jaeger's clock-skew adjuster.
///
/// Spans form a tree by `parentSpanID`. Walking down from each root, a span on another host than the skew in
/// force (or with no known host) gets a new skew computed against its already-adjusted parent:
/// - child longer than parent: shift it to start with the parent if it starts earlier, else leave it;
/// - child inside the parent: leave it;
/// - otherwise: centre it, so the gaps before and after it are equal (network latency split evenly).
/// Same-host descendants inherit the skew. A non-zero skew shifts the span's start and log times when its
/// magnitude is within `maxDeltaNanos`; otherwise the span only gets a warning (a different one when the bound
/// is 0, i.e. adjustment off). Spans whose id repeats, or whose parent is missing, get warnings and are
/// treated as roots or skipped, as in Jaeger.
///
/// The host key is the process tag `host.id`, `host.ip` or `host.name` (OTLP resources), else `ip` (Jaeger
/// clients).
package struct ClockSkewAdjuster: Sendable {
    /// Largest shift applied, in nanoseconds; 0 means adjustment is off.
    package var maxDeltaNanos: UInt64

    /// Warning on the second and later spans with one id.
    package static let duplicateSpanIDWarning = "duplicate span IDs; skipping clock skew adjustment"

    /// Creates the adjuster.
    package init(maxDeltaNanos: UInt64) {
        self.maxDeltaNanos = maxDeltaNanos
    }

    /// Warning on a span whose parent id is not in the trace.
    package static func missingParentWarning(_ parent: SpanID) -> String {
        "parent span ID=\(parent.hex) is not in the trace; skipping clock skew adjustment"
    }

    /// Warning on a shifted span.
    package static func adjustedWarning(deltaNanos: Int64) -> String {
        "This span's timestamps were adjusted by \(GoDurationFormat.string(deltaNanos))"
    }

    /// Warning when the skew is over a non-zero bound.
    package static func exceededWarning(maxDeltaNanos: UInt64, deltaNanos: Int64) -> String {
        let bound = GoDurationFormat.string(Int64(clamping: maxDeltaNanos))
        return "max clock skew adjustment delta of \(bound) exceeded; not applying calculated delta of "
            + GoDurationFormat.string(deltaNanos)
    }

    /// Warning when adjustment is off.
    package static func disabledWarning(deltaNanos: Int64) -> String {
        "clock skew adjustment disabled; not applying calculated delta of \(GoDurationFormat.string(deltaNanos))"
    }

    private struct Skew {
        var deltaNanos: Int64
        var hostKey: String
    }

    /// Returns the trace with skew corrected (or reported).
    package func adjust(_ spans: [Span]) -> [Span] {
        var result = spans
        var nodeByID: [SpanID: Int] = [:]
        nodeByID.reserveCapacity(spans.count)
        for index in result.indices {
            if nodeByID[result[index].spanID] == nil {
                nodeByID[result[index].spanID] = index
            } else {
                result[index].warnings.append(Self.duplicateSpanIDWarning)
            }
        }

        var children: [Int: [Int]] = [:]
        var roots: [Int] = []
        for index in result.indices where nodeByID[result[index].spanID] == index {
            guard let parent = result[index].parentSpanID, parent != .zero else {
                roots.append(index)
                continue
            }
            if let parentIndex = nodeByID[parent] {
                children[parentIndex, default: []].append(index)
            } else {
                result[index].warnings.append(Self.missingParentWarning(parent))
                roots.append(index)
            }
        }

        let hostKeys = result.map { Self.hostKey($0.process) }
        // Depth-first without recursion: a trace may be one long chain. Each node has one parent, so each is
        // visited at most once; spans in a parent cycle are unreachable and left alone.
        var stack: [(node: Int, parent: Int?, skew: Skew)] = roots.reversed().map {
            (node: $0, parent: nil, skew: Skew(deltaNanos: 0, hostKey: hostKeys[$0]))
        }
        while let (node, parent, inherited) = stack.popLast() {
            var skew = inherited
            if let parent, hostKeys[node] != skew.hostKey || hostKeys[node].isEmpty {
                let delta = Self.skewNanos(child: result[node], parent: result[parent])
                skew = Skew(deltaNanos: delta, hostKey: hostKeys[node])
            }
            apply(skew.deltaNanos, to: &result[node])
            for child in (children[node] ?? []).reversed() {
                stack.append((node: child, parent: node, skew: skew))
            }
        }
        return result
    }

    /// The shift that puts `child` where it belongs relative to `parent`.
    static func skewNanos(child: Span, parent: Span) -> Int64 {
        let parentStart = Int128(parent.startTimeUnixNanos)
        let parentDuration = Int128(parent.durationNanos)
        let childStart = Int128(child.startTimeUnixNanos)
        let childDuration = Int128(child.durationNanos)
        if childDuration > parentDuration {
            // Async work or a parent that timed out: only make sure the child does not start first.
            return childStart < parentStart ? Int64(clamping: parentStart - childStart) : 0
        }
        if childStart >= parentStart && childStart + childDuration <= parentStart + parentDuration {
            return 0
        }
        let latency = (parentDuration - childDuration) / 2
        return Int64(clamping: parentStart + latency - childStart)
    }

    private func apply(_ deltaNanos: Int64, to span: inout Span) {
        guard deltaNanos != 0 else { return }
        guard deltaNanos.magnitude <= maxDeltaNanos else {
            span.warnings.append(
                maxDeltaNanos == 0
                    ? Self.disabledWarning(deltaNanos: deltaNanos)
                    : Self.exceededWarning(maxDeltaNanos: maxDeltaNanos, deltaNanos: deltaNanos))
            return
        }
        span.startTimeUnixNanos = Self.shifted(span.startTimeUnixNanos, by: deltaNanos)
        for index in span.logs.indices {
            span.logs[index].timestampUnixNanos = Self.shifted(span.logs[index].timestampUnixNanos, by: deltaNanos)
        }
        span.warnings.append(Self.adjustedWarning(deltaNanos: deltaNanos))
    }

    private static func shifted(_ time: UInt64, by deltaNanos: Int64) -> UInt64 {
        UInt64(clamping: Int128(time) + Int128(deltaNanos))
    }

    /// Which host a span ran on; empty when unknown (then every parent counts as another host).
    static func hostKey(_ process: Process) -> String {
        for key in ["host.id", "host.ip", "host.name"] {
            if let tag = process.tags.first(where: { $0.key == key }), case .string(let text) = tag.value {
                return text
            }
        }
        guard let ip = process.tags.first(where: { $0.key == "ip" }) else { return "" }
        switch ip.value {
        case .string(let text): return text
        case .int64, .float64: return IPTagNormalizer.packedAddress(ip.value).map(IPTagNormalizer.dotted) ?? ""
        case .binary(let bytes) where bytes.count == 4 || bytes.count == 16: return Hex.encode(bytes)
        default: return ""
        }
    }
}
