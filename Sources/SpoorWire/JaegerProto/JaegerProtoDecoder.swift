import SpoorModel
import SwiftProtobuf

/// Turns Jaeger api_v2 protobuf batches (`CollectorService/PostSpans`, port 14250) into model spans
/// (spec/ingest.md §3.1, converted with the rules of §4.1).
///
/// - Ids: trace ids are 16 bytes (high, low) or 8 bytes (low only), span ids 8 bytes, both big-endian; an empty id
///   is 0; any other length is an error.
/// - Process: a span's own `process` wins over the batch's; with neither, the span gets a process named
///   `null-process-and-service-name`. `process_id` is ignored.
/// - Tags and log fields keep their `ValueType` (STRING, BOOL, INT64, FLOAT64, BINARY); an unknown type becomes the
///   string `unknown type N`, as Jaeger renders it.
/// - Timestamps and durations become nanoseconds; negative values become 0, overflow saturates.
/// - References are kept in order (CHILD_OF 0, anything else FOLLOWS_FROM); flags and warnings are kept.
package enum JaegerProtoDecoder {
    /// Converts a batch, enforcing `limits`.
    package static func spans(
        from batch: Jaeger_ApiV2_Batch, limits: JaegerProtoLimits = .default
    ) throws(JaegerProtoError) -> [Span] {
        guard batch.spans.count <= limits.maxSpansPerBatch else {
            throw .tooManySpans(count: batch.spans.count, limit: limits.maxSpansPerBatch)
        }
        let converter = Converter(limits: limits)
        var batchProcess: Process?
        if batch.hasProcess {
            do throws(JaegerProtoError) {
                batchProcess = try converter.process(batch.process)
            } catch {
                throw error.at("process")
            }
        }
        var spans: [Span] = []
        spans.reserveCapacity(batch.spans.count)
        for (index, span) in batch.spans.enumerated() {
            do throws(JaegerProtoError) {
                spans.append(try converter.span(span, batchProcess: batchProcess))
            } catch {
                throw error.at("spans[\(index)]")
            }
        }
        return spans
    }

    /// Converts the batch of a `PostSpansRequest`; a request without a batch holds no spans.
    package static func spans(
        from request: Jaeger_ApiV2_PostSpansRequest, limits: JaegerProtoLimits = .default
    ) throws(JaegerProtoError) -> [Span] {
        guard request.hasBatch else { return [] }
        do throws(JaegerProtoError) {
            return try spans(from: request.batch, limits: limits)
        } catch {
            throw error.at("batch")
        }
    }

    /// Nanoseconds since the epoch (or of a duration) from a seconds/nanos pair: negative → 0, overflow saturates.
    static func nanoseconds(seconds: Int64, nanos: Int32) -> UInt64 {
        let nanosPart = Int64(nanos)
        if seconds < 0 {
            // Only a positive nanos part can bring a negative second count back above zero (not for valid input).
            let total = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            if total.overflow { return 0 }
            let sum = total.partialValue.addingReportingOverflow(nanosPart)
            return sum.overflow || sum.partialValue < 0 ? 0 : UInt64(sum.partialValue)
        }
        let (product, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        if nanosPart >= 0 {
            let (sum, carry) = product.addingReportingOverflow(UInt64(nanosPart))
            return carry ? .max : sum
        }
        let magnitude = nanosPart.magnitude
        return product >= magnitude ? product - magnitude : 0
    }
}

/// The per-batch conversion; errors carry paths relative to the element being converted.
private struct Converter {
    let limits: JaegerProtoLimits

    func span(_ span: Jaeger_ApiV2_Span, batchProcess: Process?) throws(JaegerProtoError) -> Span {
        let traceID = try Self.traceID(span.traceID, path: "trace_id")
        let spanID = try Self.spanID(span.spanID, path: "span_id")
        try checkSize(span.operationName.utf8.count, path: "operation_name")

        try checkCount(span.references.count, path: "references")
        var references: [SpanReference] = []
        references.reserveCapacity(span.references.count)
        for (index, reference) in span.references.enumerated() {
            do throws(JaegerProtoError) {
                references.append(
                    SpanReference(
                        refType: reference.refType == .childOf ? .childOf : .followsFrom,
                        traceID: try Self.traceID(reference.traceID, path: "trace_id"),
                        spanID: try Self.spanID(reference.spanID, path: "span_id")))
            } catch {
                throw error.at("references[\(index)]")
            }
        }

        let tags = try attributes(span.tags, path: "tags")
        try checkCount(span.logs.count, path: "logs")
        var logs: [SpanLog] = []
        logs.reserveCapacity(span.logs.count)
        for (index, log) in span.logs.enumerated() {
            do throws(JaegerProtoError) {
                let timestamp =
                    log.hasTimestamp
                    ? JaegerProtoDecoder.nanoseconds(seconds: log.timestamp.seconds, nanos: log.timestamp.nanos) : 0
                logs.append(SpanLog(timestampUnixNanos: timestamp, fields: try attributes(log.fields, path: "fields")))
            } catch {
                throw error.at("logs[\(index)]")
            }
        }

        let process: Process
        if span.hasProcess {
            do throws(JaegerProtoError) {
                process = try self.process(span.process)
            } catch {
                throw error.at("process")
            }
        } else {
            process = batchProcess ?? Process(serviceName: ServiceNames.nullProcess)
        }

        try checkCount(span.warnings.count, path: "warnings")
        for (index, warning) in span.warnings.enumerated() {
            try checkSize(warning.utf8.count, path: "warnings[\(index)]")
        }

        return Span(
            traceID: traceID,
            spanID: spanID,
            operationName: span.operationName,
            references: references,
            flags: span.flags,
            startTimeUnixNanos: span.hasStartTime
                ? JaegerProtoDecoder.nanoseconds(seconds: span.startTime.seconds, nanos: span.startTime.nanos) : 0,
            durationNanos: span.hasDuration
                ? JaegerProtoDecoder.nanoseconds(seconds: span.duration.seconds, nanos: span.duration.nanos) : 0,
            tags: tags,
            logs: logs,
            process: process,
            warnings: span.warnings)
    }

    func process(_ process: Jaeger_ApiV2_Process) throws(JaegerProtoError) -> Process {
        try checkSize(process.serviceName.utf8.count, path: "service_name")
        return Process(serviceName: process.serviceName, tags: try attributes(process.tags, path: "tags"))
    }

    func attributes(_ keyValues: [Jaeger_ApiV2_KeyValue], path: String) throws(JaegerProtoError) -> [Attribute] {
        try checkCount(keyValues.count, path: path)
        var attributes: [Attribute] = []
        attributes.reserveCapacity(keyValues.count)
        for (index, keyValue) in keyValues.enumerated() {
            do throws(JaegerProtoError) {
                attributes.append(try attribute(keyValue))
            } catch {
                throw error.at("\(path)[\(index)]")
            }
        }
        return attributes
    }

    func attribute(_ keyValue: Jaeger_ApiV2_KeyValue) throws(JaegerProtoError) -> Attribute {
        try checkSize(keyValue.key.utf8.count, path: "key")
        let value: AttributeValue
        switch keyValue.vType {
        case .string:
            try checkSize(keyValue.vStr.utf8.count, path: "v_str")
            value = .string(keyValue.vStr)
        case .bool:
            value = .bool(keyValue.vBool)
        case .int64:
            value = .int64(keyValue.vInt64)
        case .float64:
            value = .float64(keyValue.vFloat64)
        case .binary:
            try checkSize(keyValue.vBinary.count, path: "v_binary")
            value = .binary(Array(keyValue.vBinary))
        case .UNRECOGNIZED(let raw):
            value = .string("unknown type \(raw)")
        }
        return Attribute(key: keyValue.key, value: value)
    }

    private func checkCount(_ count: Int, path: String) throws(JaegerProtoError) {
        guard count <= limits.maxItemsPerList else {
            throw .tooManyItems(path: path, count: count, limit: limits.maxItemsPerList)
        }
    }

    private func checkSize(_ bytes: Int, path: String) throws(JaegerProtoError) {
        guard bytes <= limits.maxValueBytes else {
            throw .valueTooLarge(path: path, bytes: bytes, limit: limits.maxValueBytes)
        }
    }

    static func traceID(_ bytes: some Collection<UInt8>, path: String) throws(JaegerProtoError) -> TraceID {
        guard let id = TraceID(bytes: bytes) else {
            throw .invalidIDLength(path: path, length: bytes.count, expected: "16 or 8")
        }
        return id
    }

    static func spanID(_ bytes: some Collection<UInt8>, path: String) throws(JaegerProtoError) -> SpanID {
        guard let id = SpanID(bytes: bytes) else {
            throw .invalidIDLength(path: path, length: bytes.count, expected: "8")
        }
        return id
    }
}
