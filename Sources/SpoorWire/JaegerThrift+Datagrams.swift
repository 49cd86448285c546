import SpoorModel

/// `emitBatch` datagrams made from one process's spans, each under a byte limit.
package struct AgentDatagrams: Sendable {
    /// The encoded datagrams with the number of spans each carries, in span order.
    package var datagrams: [(bytes: [UInt8], spans: Int)] = []
    /// Spans left out because a datagram holding only that span was still too large
    /// (what Jaeger clients report as `ClientStats.tooLargeDroppedSpans`).
    package var tooLarge = 0
}

extension JaegerThrift {
    /// The UDP agent ports' read buffer: a datagram must be smaller than this to be read whole.
    package static let maxAgentDatagramBytes = 65_000

    /// Encodes `spans` as `Agent.emitBatch` datagrams, each strictly smaller than `maxBytes`.
    ///
    /// All spans go in one datagram when they fit; otherwise the list is cut into chunks sized from the
    /// average encoded span (aiming at 95% of the limit) and each chunk is encoded the same way, so a chunk
    /// that still overflows is cut again. Sequence ids count up from `firstSequenceID`, one per encoding attempt.
    package static func encodeEmitBatches(
        process: Process, spans: [Span], protocol kind: ThriftProtocolKind,
        maxBytes: Int = maxAgentDatagramBytes, firstSequenceID: Int32 = 1
    ) -> AgentDatagrams {
        var result = AgentDatagrams()
        var sequenceID = firstSequenceID
        split(spans[...], process: process, kind: kind, maxBytes: maxBytes, sequenceID: &sequenceID, into: &result)
        return result
    }

    private static func split(
        _ spans: ArraySlice<Span>, process: Process, kind: ThriftProtocolKind, maxBytes: Int,
        sequenceID: inout Int32, into result: inout AgentDatagrams
    ) {
        guard !spans.isEmpty else { return }
        let bytes = encodeEmitBatch(process: process, spans: spans, protocol: kind, sequenceID: sequenceID)
        sequenceID &+= 1
        if bytes.count < maxBytes {
            result.datagrams.append((bytes, spans.count))
            return
        }
        guard spans.count > 1 else {
            result.tooLarge += 1
            return
        }
        let estimate = spans.count * max(0, maxBytes) / max(1, bytes.count) * 95 / 100
        let chunk = max(1, min(estimate, (spans.count + 1) / 2))  // always fewer than spans.count
        var start = spans.startIndex
        while start < spans.endIndex {
            let end = min(start + chunk, spans.endIndex)
            split(
                spans[start..<end], process: process, kind: kind, maxBytes: maxBytes, sequenceID: &sequenceID,
                into: &result)
            start = end
        }
    }
}
