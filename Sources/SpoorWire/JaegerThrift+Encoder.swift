import SpoorModel

extension JaegerThrift {
    /// Encodes `spans` as one bare `jaeger.Batch` (the HTTP 14268 body when `kind` is binary).
    ///
    /// Every span is written under `process` (the spans' own `process` is not looked at).
    /// Times are truncated to microseconds; `warnings` are not part of the Thrift model.
    package static func encodeBatch(
        process: Process, spans: some Collection<Span>, protocol kind: ThriftProtocolKind
    ) -> [UInt8] {
        let capacity = 256 + spans.count * 512
        switch kind {
        case .compact:
            var writer = ThriftCompactWriter(capacity: capacity)
            JaegerThriftEncoder.writeBatch(&writer, process: process, spans: spans)
            return writer.bytes
        case .binary:
            var writer = ThriftBinaryWriter(capacity: capacity)
            JaegerThriftEncoder.writeBatch(&writer, process: process, spans: spans)
            return writer.bytes
        }
    }

    /// Encodes one `Agent.emitBatch` oneway message: the whole UDP datagram for 6831 (compact) or 6832 (binary).
    ///
    /// The caller keeps the result under the server's packet size (65,000 bytes) by choosing the spans.
    package static func encodeEmitBatch(
        process: Process, spans: some Collection<Span>, protocol kind: ThriftProtocolKind,
        sequenceID: Int32 = 0
    ) -> [UInt8] {
        let capacity = 256 + spans.count * 512
        switch kind {
        case .compact:
            var writer = ThriftCompactWriter(capacity: capacity)
            JaegerThriftEncoder.writeEmitBatch(
                &writer, process: process, spans: spans, sequenceID: sequenceID)
            return writer.bytes
        case .binary:
            var writer = ThriftBinaryWriter(capacity: capacity)
            JaegerThriftEncoder.writeEmitBatch(
                &writer, process: process, spans: spans, sequenceID: sequenceID)
            return writer.bytes
        }
    }
}

/// Writes model values as agent.thrift / jaeger.thrift structs, once for both protocols
/// (field ids in spec/ingest.md §2.5–2.6; the inverse of `JaegerThriftDecoder`).
enum JaegerThriftEncoder {
    /// `emitBatch` message header, then the args struct `{1: Batch batch}`.
    static func writeEmitBatch<W: ThriftWriter>(
        _ writer: inout W, process: Process, spans: some Collection<Span>, sequenceID: Int32
    ) {
        writer.writeMessageBegin(name: "emitBatch", type: .oneway, sequenceID: sequenceID)
        writer.writeStructBegin()
        writer.writeFieldBegin(id: 1, type: .struct)
        writeBatch(&writer, process: process, spans: spans)
        writer.writeStructEnd()
    }

    /// `Batch {1: Process process, 2: list<Span> spans}`.
    static func writeBatch<W: ThriftWriter>(
        _ writer: inout W, process: Process, spans: some Collection<Span>
    ) {
        writer.writeStructBegin()
        writer.writeFieldBegin(id: 1, type: .struct)
        writeProcess(&writer, process)
        writer.writeFieldBegin(id: 2, type: .list)
        writer.writeListBegin(elementType: .struct, count: spans.count)
        for span in spans { writeSpan(&writer, span) }
        writer.writeStructEnd()
    }

    /// `Process {1: string serviceName, 2: list<Tag> tags}` (tags omitted when empty).
    static func writeProcess<W: ThriftWriter>(_ writer: inout W, _ process: Process) {
        writer.writeStructBegin()
        writer.writeFieldBegin(id: 1, type: .string)
        writer.writeString(process.serviceName)
        if !process.tags.isEmpty {
            writer.writeFieldBegin(id: 2, type: .list)
            writeTags(&writer, process.tags)
        }
        writer.writeStructEnd()
    }

    /// `Span`: the parent goes in `parentSpanId`; `references` is written unless it holds just that
    /// parent (what Jaeger clients send), so decoding gives back the same reference list.
    static func writeSpan<W: ThriftWriter>(_ writer: inout W, _ span: Span) {
        let parent = span.parentSpanID
        let onlyParent =
            span.references.count == 1 && span.references.first?.spanID == parent
            && span.references.first?.refType == .childOf
            && span.references.first?.traceID == span.traceID
        writer.writeStructBegin()
        writer.writeFieldBegin(id: 1, type: .i64)
        writer.writeI64(Int64(bitPattern: span.traceID.low))
        writer.writeFieldBegin(id: 2, type: .i64)
        writer.writeI64(Int64(bitPattern: span.traceID.high))
        writer.writeFieldBegin(id: 3, type: .i64)
        writer.writeI64(Int64(bitPattern: span.spanID.value))
        writer.writeFieldBegin(id: 4, type: .i64)
        writer.writeI64(Int64(bitPattern: parent?.value ?? 0))
        writer.writeFieldBegin(id: 5, type: .string)
        writer.writeString(span.operationName)
        if !span.references.isEmpty, !onlyParent {
            writer.writeFieldBegin(id: 6, type: .list)
            writer.writeListBegin(elementType: .struct, count: span.references.count)
            for reference in span.references { writeReference(&writer, reference) }
        }
        writer.writeFieldBegin(id: 7, type: .i32)
        writer.writeI32(Int32(bitPattern: span.flags))
        writer.writeFieldBegin(id: 8, type: .i64)
        writer.writeI64(microseconds(span.startTimeUnixNanos))
        writer.writeFieldBegin(id: 9, type: .i64)
        writer.writeI64(microseconds(span.durationNanos))
        if !span.tags.isEmpty {
            writer.writeFieldBegin(id: 10, type: .list)
            writeTags(&writer, span.tags)
        }
        if !span.logs.isEmpty {
            writer.writeFieldBegin(id: 11, type: .list)
            writer.writeListBegin(elementType: .struct, count: span.logs.count)
            for log in span.logs {
                writer.writeStructBegin()
                writer.writeFieldBegin(id: 1, type: .i64)
                writer.writeI64(microseconds(log.timestampUnixNanos))
                writer.writeFieldBegin(id: 2, type: .list)
                writeTags(&writer, log.fields)
                writer.writeStructEnd()
            }
        }
        writer.writeStructEnd()
    }

    /// `SpanRef {1: SpanRefType refType, 2: i64 traceIdLow, 3: i64 traceIdHigh, 4: i64 spanId}`.
    static func writeReference<W: ThriftWriter>(_ writer: inout W, _ reference: SpanReference) {
        writer.writeStructBegin()
        writer.writeFieldBegin(id: 1, type: .i32)
        writer.writeI32(reference.refType == .childOf ? 0 : 1)
        writer.writeFieldBegin(id: 2, type: .i64)
        writer.writeI64(Int64(bitPattern: reference.traceID.low))
        writer.writeFieldBegin(id: 3, type: .i64)
        writer.writeI64(Int64(bitPattern: reference.traceID.high))
        writer.writeFieldBegin(id: 4, type: .i64)
        writer.writeI64(Int64(bitPattern: reference.spanID.value))
        writer.writeStructEnd()
    }

    /// `list<Tag>`: `{1: key, 2: vType}` plus the one value field `vType` selects.
    static func writeTags<W: ThriftWriter>(_ writer: inout W, _ tags: [Attribute]) {
        writer.writeListBegin(elementType: .struct, count: tags.count)
        for tag in tags {
            writer.writeStructBegin()
            writer.writeFieldBegin(id: 1, type: .string)
            writer.writeString(tag.key)
            writer.writeFieldBegin(id: 2, type: .i32)
            switch tag.value {
            case .string(let value):
                writer.writeI32(0)
                writer.writeFieldBegin(id: 3, type: .string)
                writer.writeString(value)
            case .float64(let value):
                writer.writeI32(1)
                writer.writeFieldBegin(id: 4, type: .double)
                writer.writeDouble(value)
            case .bool(let value):
                writer.writeI32(2)
                writer.writeBoolField(id: 5, value)
            case .int64(let value):
                writer.writeI32(3)
                writer.writeFieldBegin(id: 6, type: .i64)
                writer.writeI64(value)
            case .binary(let value):
                writer.writeI32(4)
                writer.writeFieldBegin(id: 7, type: .string)
                writer.writeBinary(value)
            }
            writer.writeStructEnd()
        }
    }

    /// ns → µs, saturating at `Int64.max`.
    @inline(__always)
    static func microseconds(_ nanos: UInt64) -> Int64 {
        Int64(clamping: nanos / 1000)
    }
}
