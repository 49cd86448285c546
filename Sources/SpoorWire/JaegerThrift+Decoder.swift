import SpoorModel

/// Decodes agent.thrift / jaeger.thrift structs into model values, once for both protocols.
///
/// Rules (spec §2.4, §4.1): unknown field ids and known ids with another wire type are skipped;
/// a required field that is absent (or was skipped for its type) fails the whole payload;
/// optional fields default to zero values. Thrift ids are signed i64 and are reinterpreted as
/// unsigned; microsecond times become saturating nanoseconds.
enum JaegerThriftDecoder {
    // MARK: agent.thrift

    /// `Agent.emitBatch` / `Agent.emitZipkinBatch`: message header, then the args struct
    /// `{1: Batch batch}` or `{1: list<zipkincore.Span> spans}`.
    static func readAgentMessage<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> AgentMessage {
        let header = try reader.readMessageHeader()
        guard header.type == ThriftMessageType.call.rawValue || header.type == ThriftMessageType.oneway.rawValue
        else { throw .badMessageType(header.type) }

        switch header.name {
        case "emitBatch":
            var spans: [Span]?
            let scope = try reader.readStructBegin()
            while let field = try reader.readFieldHeader() {
                if field.id == 1, field.type == .struct {
                    spans = try readBatch(&reader)
                } else {
                    try reader.skip(field.type)
                }
            }
            reader.readStructEnd(scope)
            guard let spans else { throw .missingRequiredField(struct: "emitBatch_args", field: "batch") }
            return .emitBatch(spans)

        case "emitZipkinBatch":
            var zipkinSpans: [ZipkinV1Span]?
            let scope = try reader.readStructBegin()
            while let field = try reader.readFieldHeader() {
                if field.id == 1, field.type == .list {
                    zipkinSpans = try ZipkinThriftDecoder.readSpanList(&reader)
                } else {
                    try reader.skip(field.type)
                }
            }
            reader.readStructEnd(scope)
            guard let zipkinSpans else { throw .missingRequiredField(struct: "emitZipkinBatch_args", field: "spans") }
            return .emitZipkinBatch(ZipkinLegacyConverter.convert(zipkinSpans, limits: reader.limits))

        default:
            throw .unknownMethod(header.name)
        }
    }

    // MARK: jaeger.thrift

    /// `Batch {1: req Process process, 2: req list<Span> spans, 3: opt i64 seqNo, 4: opt ClientStats stats}`.
    static func readBatch<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> [Span] {
        var process: Process?
        var spans: [Span]?
        var spansHaveProcess = false
        let scope = try reader.readStructBegin()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .struct):
                process = try readProcess(&reader)
                if spans != nil { spansHaveProcess = false }
            case (2, .list):
                spansHaveProcess = process != nil
                spans = try readSpans(&reader, process: process ?? Process(serviceName: ""))
            case (4, .struct):
                try validateClientStats(&reader)
            default:
                try reader.skip(field.type)
            }
        }
        reader.readStructEnd(scope)
        guard let process else { throw .missingRequiredField(struct: "Batch", field: "process") }
        guard var spans else { throw .missingRequiredField(struct: "Batch", field: "spans") }
        if !spansHaveProcess {
            // The process came after the spans on the wire (or was sent twice): every span gets the final one.
            for index in spans.indices { spans[index].process = process }
        }
        return spans
    }

    /// `Process {1: req string serviceName, 2: opt list<Tag> tags}`; empty names become `empty-service-name`.
    static func readProcess<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> Process {
        var serviceName: String?
        var tags: [Attribute] = []
        let scope = try reader.readStructBegin()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .string): serviceName = try reader.readString()
            case (2, .list): tags = try readTags(&reader, fieldID: 2)
            default: try reader.skip(field.type)
            }
        }
        reader.readStructEnd(scope)
        guard let serviceName else { throw .missingRequiredField(struct: "Process", field: "serviceName") }
        return Process(serviceName: serviceName.isEmpty ? ServiceNames.emptyServiceName : serviceName, tags: tags)
    }

    /// `ClientStats {1,2,3: req i64}`: only validated, never stored.
    static func validateClientStats<R: ThriftReader>(_ reader: inout R) throws(ThriftError) {
        var seen: UInt8 = 0
        let scope = try reader.readStructBegin()
        while let field = try reader.readFieldHeader() {
            if (1...3).contains(field.id), field.type == .i64 {
                _ = try reader.readI64()
                seen |= 1 << UInt8(field.id)
            } else {
                try reader.skip(field.type)
            }
        }
        reader.readStructEnd(scope)
        let names = ["", "fullQueueDroppedSpans", "tooLargeDroppedSpans", "failedToEmitSpans"]
        for id in 1...3 where seen & (1 << UInt8(id)) == 0 {
            throw .missingRequiredField(struct: "ClientStats", field: names[id])
        }
    }

    /// `list<Span>`.
    static func readSpans<R: ThriftReader>(_ reader: inout R, process: Process) throws(ThriftError) -> [Span] {
        try reader.readStructList(fieldID: 2, limit: reader.limits.maxSpansPerBatch) { (reader: inout R) throws(ThriftError) in
            try readSpan(&reader, process: process)
        }
    }

    /// Field ids of `Span` that the IDL marks required: 1–5 and 7–9.
    private static let spanRequiredMask: UInt16 = 0b11_1011_1110

    /// `Span`, see the field table in spec §2.5.
    static func readSpan<R: ThriftReader>(_ reader: inout R, process: Process) throws(ThriftError) -> Span {
        var traceIDLow: Int64 = 0
        var traceIDHigh: Int64 = 0
        var spanID: Int64 = 0
        var parentSpanID: Int64 = 0
        var operationName = ""
        var references: [SpanReference] = []
        var flags: Int32 = 0
        var startTime: Int64 = 0
        var duration: Int64 = 0
        var tags: [Attribute] = []
        var logs: [SpanLog] = []
        var seen: UInt16 = 0

        let scope = try reader.readStructBegin()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i64): traceIDLow = try reader.readI64()
            case (2, .i64): traceIDHigh = try reader.readI64()
            case (3, .i64): spanID = try reader.readI64()
            case (4, .i64): parentSpanID = try reader.readI64()
            case (5, .string): operationName = try reader.readString()
            case (6, .list): references = try readReferences(&reader)
            case (7, .i32): flags = try reader.readI32()
            case (8, .i64): startTime = try reader.readI64()
            case (9, .i64): duration = try reader.readI64()
            case (10, .list): tags = try readTags(&reader, fieldID: 10)
            case (11, .list): logs = try readLogs(&reader)
            default:
                try reader.skip(field.type)
                continue
            }
            seen |= 1 << UInt16(field.id)
        }
        reader.readStructEnd(scope)

        if seen & spanRequiredMask != spanRequiredMask {
            throw .missingRequiredField(struct: "Span", field: missingSpanField(seen: seen))
        }

        let traceID = TraceID(high: UInt64(bitPattern: traceIDHigh), low: UInt64(bitPattern: traceIDLow))
        if parentSpanID != 0 {
            let parent = SpanID(UInt64(bitPattern: parentSpanID))
            if !references.contains(where: { $0.spanID == parent && $0.traceID == traceID }) {
                references.insert(SpanReference(refType: .childOf, traceID: traceID, spanID: parent), at: 0)
            }
        }
        return Span(
            traceID: traceID, spanID: SpanID(UInt64(bitPattern: spanID)), operationName: operationName,
            references: references, flags: UInt32(bitPattern: flags),
            startTimeUnixNanos: nanoseconds(fromMicroseconds: startTime),
            durationNanos: nanoseconds(fromMicroseconds: duration),
            tags: tags, logs: logs, process: process
        )
    }

    private static func missingSpanField(seen: UInt16) -> String {
        let names: [(Int, String)] = [
            (1, "traceIdLow"), (2, "traceIdHigh"), (3, "spanId"), (4, "parentSpanId"), (5, "operationName"),
            (7, "flags"), (8, "startTime"), (9, "duration"),
        ]
        return names.first { seen & (1 << UInt16($0.0)) == 0 }?.1 ?? "unknown"
    }

    /// `list<SpanRef>` of `SpanRef {1: req SpanRefType refType, 2: req i64 traceIdLow,
    /// 3: req i64 traceIdHigh, 4: req i64 spanId}`. Ref types other than CHILD_OF (0) become FOLLOWS_FROM.
    static func readReferences<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> [SpanReference] {
        try reader.readStructList(fieldID: 6, limit: reader.limits.maxListElements) {
            (reader: inout R) throws(ThriftError) -> SpanReference in
            var refType: Int32 = 0
            var traceIDLow: Int64 = 0
            var traceIDHigh: Int64 = 0
            var spanID: Int64 = 0
            var seen: UInt8 = 0
            let scope = try reader.readStructBegin()
            while let field = try reader.readFieldHeader() {
                switch (field.id, field.type) {
                case (1, .i32): refType = try reader.readI32()
                case (2, .i64): traceIDLow = try reader.readI64()
                case (3, .i64): traceIDHigh = try reader.readI64()
                case (4, .i64): spanID = try reader.readI64()
                default:
                    try reader.skip(field.type)
                    continue
                }
                seen |= 1 << UInt8(field.id)
            }
            reader.readStructEnd(scope)
            let names = ["", "refType", "traceIdLow", "traceIdHigh", "spanId"]
            for id in 1...4 where seen & (1 << UInt8(id)) == 0 {
                throw .missingRequiredField(struct: "SpanRef", field: names[id])
            }
            return SpanReference(
                refType: refType == 0 ? .childOf : .followsFrom,
                traceID: TraceID(high: UInt64(bitPattern: traceIDHigh), low: UInt64(bitPattern: traceIDLow)),
                spanID: SpanID(UInt64(bitPattern: spanID))
            )
        }
    }

    /// `list<Log>` of `Log {1: req i64 timestamp, 2: req list<Tag> fields}`.
    static func readLogs<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> [SpanLog] {
        try reader.readStructList(fieldID: 11, limit: reader.limits.maxListElements) {
            (reader: inout R) throws(ThriftError) -> SpanLog in
            var timestamp: Int64 = 0
            var fields: [Attribute] = []
            var seen: UInt8 = 0
            let scope = try reader.readStructBegin()
            while let field = try reader.readFieldHeader() {
                switch (field.id, field.type) {
                case (1, .i64): timestamp = try reader.readI64()
                case (2, .list): fields = try readTags(&reader, fieldID: 2)
                default:
                    try reader.skip(field.type)
                    continue
                }
                seen |= 1 << UInt8(field.id)
            }
            reader.readStructEnd(scope)
            if seen & 0b10 == 0 { throw .missingRequiredField(struct: "Log", field: "timestamp") }
            if seen & 0b100 == 0 { throw .missingRequiredField(struct: "Log", field: "fields") }
            return SpanLog(timestampUnixNanos: nanoseconds(fromMicroseconds: timestamp), fields: fields)
        }
    }

    /// `list<Tag>`, bounded by `maxTagsPerSpan`.
    static func readTags<R: ThriftReader>(_ reader: inout R, fieldID: Int16) throws(ThriftError) -> [Attribute] {
        try reader.readStructList(fieldID: fieldID, limit: reader.limits.maxTagsPerSpan) { (reader: inout R) throws(ThriftError) in
            try readTag(&reader)
        }
    }

    /// `Tag {1: req string key, 2: req TagType vType, 3: opt string vStr, 4: opt double vDouble,
    /// 5: opt bool vBool, 6: opt i64 vLong, 7: opt binary vBinary}`; the value is chosen by `vType`.
    static func readTag<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> Attribute {
        var key: String?
        var valueType: Int32?
        var string: String?
        var double: Double?
        var bool: Bool?
        var long: Int64?
        var binary: [UInt8]?
        let scope = try reader.readStructBegin()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .string): key = try reader.readString()
            case (2, .i32): valueType = try reader.readI32()
            case (3, .string): string = try reader.readString()
            case (4, .double): double = try reader.readDouble()
            case (5, .bool): bool = try reader.readBool()
            case (6, .i64): long = try reader.readI64()
            case (7, .string): binary = try reader.readBinary()
            default: try reader.skip(field.type)
            }
        }
        reader.readStructEnd(scope)
        guard let key else { throw .missingRequiredField(struct: "Tag", field: "key") }
        guard let valueType else { throw .missingRequiredField(struct: "Tag", field: "vType") }

        let value: AttributeValue
        switch valueType {
        case 0: value = .string(string ?? "")
        case 1: value = .float64(double ?? 0)
        case 2: value = .bool(bool ?? false)
        case 3: value = .int64(long ?? 0)
        case 4: value = .binary(binary ?? [])
        default:
            var dump = "Unknown VType: Tag(key: \(key.debugDescription), vType: \(valueType)"
            if let string { dump += ", vStr: \(string.debugDescription)" }
            if let double { dump += ", vDouble: \(FloatFormat.shortest(double))" }
            if let bool { dump += ", vBool: \(bool)" }
            if let long { dump += ", vLong: \(long)" }
            if let binary { dump += ", vBinary: \(Hex.encode(binary))" }
            value = .string(dump + ")")
        }
        return Attribute(key: key, value: value)
    }

    // MARK: Helpers

    /// µs → ns: negative times clamp to 0, overflow saturates at `UInt64.max`.
    @inline(__always)
    static func nanoseconds(fromMicroseconds micros: Int64) -> UInt64 {
        guard micros > 0 else { return 0 }
        let (product, overflow) = UInt64(micros).multipliedReportingOverflow(by: 1000)
        return overflow ? .max : product
    }
}
