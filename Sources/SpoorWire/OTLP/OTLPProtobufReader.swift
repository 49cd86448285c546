import SpoorModel
import SwiftProtobuf

extension OTLPError: ProtobufFailure {
    init(wire fault: ProtobufWireFault) { self = .malformedProtobuf(fault.rawValue) }
}

/// Decodes a binary `ExportTraceServiceRequest` straight into model spans, without building the
/// generated messages for the hot path.
///
/// It accepts what the generated messages accept and yields the same spans and errors as decoding them
/// and then converting with `OTLPSpanConverter` (the tests hold the two side by side on client
/// payloads and mutated bytes):
/// ```
/// ExportTraceServiceRequest  1 repeated ResourceSpans
/// ResourceSpans  1 Resource resource   2 repeated ScopeSpans   3 string schema_url
/// ScopeSpans     1 InstrumentationScope scope   2 repeated Span   3 string schema_url
/// Span           1 bytes trace_id   2 bytes span_id   3 string trace_state   4 bytes parent_span_id
///                5 string name   6 SpanKind kind   7 fixed64 start   8 fixed64 end
///                9 repeated KeyValue attributes   10 uint32 dropped   11 repeated Event events
///                12 uint32 dropped   13 repeated Link links   14 uint32 dropped   15 Status status
///                16 fixed32 flags
/// Event          1 fixed64 time   2 string name   3 repeated KeyValue attributes   4 uint32 dropped
/// Status         2 string message   3 StatusCode code
/// KeyValue       1 string key   2 AnyValue value
/// AnyValue       oneof: 1 string   2 bool   3 int64   4 double   5 ArrayValue   6 KeyValueList   7 bytes
/// ```
/// - Fields may come in any order: a resource after its scope spans still names their process.
/// - A singular message field sent twice is merged, as protobuf requires.
/// - The parts that are rare and small (resource, scope, links, arrays and kvlists, a value sent twice) are
///   decoded with the generated messages and converted by `OTLPSpanConverter`; spans, their attributes,
///   scalar values, events and status are read here.
/// - Spans are counted before any is built, so the span limit applies before allocation.
/// - Errors follow the reference's order within the bytes the reader has reached; where the reference would first
///   refuse malformed bytes further on, the reader may report a conversion error met earlier (both are errors).
struct OTLPProtobufReader {
    private typealias Cursor = ProtobufCursor<OTLPError>

    private let converter: OTLPSpanConverter
    private let bytes: UnsafeBufferPointer<UInt8>
    // Scratch lists reused from span to span.
    private var attributeRanges: [Range<Int>] = []
    private var eventRanges: [Range<Int>] = []
    private var linkRanges: [Range<Int>] = []
    private var eventAttributeRanges: [Range<Int>] = []

    /// SwiftProtobuf's depth limit for these limits: nested messages and unknown groups count against it.
    private let depthLimit: Int

    private var limits: OTLPLimits { converter.limits }

    /// How deep each message sits (the request is 1), as SwiftProtobuf counts it.
    private enum Depth {
        static let request = 1
        static let resourceSpans = 2
        static let resource = 3
        static let scopeSpans = 3
        static let scope = 4
        static let span = 4
        /// Span attributes' KeyValues, events, links and the status.
        static let spanPart = 5
        static let eventAttribute = 6
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, limits: OTLPLimits) {
        self.bytes = bytes
        self.converter = OTLPSpanConverter(limits: limits)
        self.depthLimit = OTLPDecoder.decodingOptions(limits).messageDepthLimit
    }

    /// The spans of one request's bytes.
    static func spans(from bytes: UnsafeBufferPointer<UInt8>, limits: OTLPLimits) throws(OTLPError) -> [Span] {
        guard !bytes.isEmpty else { return [] }
        var reader = OTLPProtobufReader(bytes: bytes, limits: limits)
        return try reader.request()
    }

    private func cursor(_ range: Range<Int>, depth: Int) -> Cursor {
        Cursor(bytes: bytes, range: range, depth: depth, depthLimit: depthLimit)
    }

    // MARK: Request, resource spans, scope spans

    private mutating func request() throws(OTLPError) -> [Span] {
        let total = try countSpans()
        guard total <= limits.maxSpansPerRequest else {
            throw .tooManySpans(count: total, limit: limits.maxSpansPerRequest)
        }
        var spans: [Span] = []
        spans.reserveCapacity(total)
        var request = cursor(0..<bytes.count, depth: Depth.request)
        var index = 0
        while let field = try request.nextField() {
            guard field.number == 1, field.wire == ProtobufWire.lengthDelimited else {
                try request.skip(number: field.number, wire: field.wire)
                continue
            }
            let range = try request.lengthDelimited()
            do throws(OTLPError) {
                try resourceSpans(range, into: &spans)
            } catch {
                throw error.at("resourceSpans[\(index)]")
            }
            index += 1
        }
        return spans
    }

    /// Spans in the request, walking only the resource-spans and scope-spans framing.
    private func countSpans() throws(OTLPError) -> Int {
        var total = 0
        var request = cursor(0..<bytes.count, depth: Depth.request)
        while let field = try request.nextField() {
            guard field.number == 1, field.wire == ProtobufWire.lengthDelimited else {
                try request.skip(number: field.number, wire: field.wire)
                continue
            }
            var resourceSpans = request.nested(try request.lengthDelimited())
            while let field = try resourceSpans.nextField() {
                guard field.number == 2, field.wire == ProtobufWire.lengthDelimited else {
                    try resourceSpans.skip(number: field.number, wire: field.wire)
                    continue
                }
                var scopeSpans = resourceSpans.nested(try resourceSpans.lengthDelimited())
                while let field = try scopeSpans.nextField() {
                    if field.number == 2, field.wire == ProtobufWire.lengthDelimited { total &+= 1 }
                    try scopeSpans.skip(number: field.number, wire: field.wire)
                }
            }
        }
        return total
    }

    private mutating func resourceSpans(_ range: Range<Int>, into spans: inout [Span]) throws(OTLPError) {
        let (resource, children) = try parts(of: range, depth: Depth.resourceSpans)
        let process: Process
        do throws(OTLPError) {
            process = try converter.makeProcess(message(OTLPResource.self, resource.bytes(of: bytes), depth: Depth.resource))
        } catch {
            throw error.at("resource")
        }
        for (index, child) in children.enumerated() {
            do throws(OTLPError) {
                try scopeSpans(child, process: process, into: &spans)
            } catch {
                throw error.at("scopeSpans[\(index)]")
            }
        }
    }

    private mutating func scopeSpans(
        _ range: Range<Int>, process: Process, into spans: inout [Span]
    ) throws(OTLPError) {
        let (scope, children) = try parts(of: range, depth: Depth.scopeSpans)
        let scopeTags = converter.makeScopeTags(try message(OTLPScope.self, scope.bytes(of: bytes), depth: Depth.scope))
        for (index, child) in children.enumerated() {
            do throws(OTLPError) {
                spans.append(try span(child, scopeTags: scopeTags, process: process))
            } catch {
                throw error.at("spans[\(index)]")
            }
        }
    }

    /// The parts of a ResourceSpans or ScopeSpans, which share a shape: field 1, a singular message (resource or
    /// scope) wherever it comes; field 2, the repeated children, in order; field 3, the schema URL, only checked.
    private func parts(of range: Range<Int>, depth: Int) throws(OTLPError) -> (head: MessageBytes, children: [Range<Int>]) {
        var fields = cursor(range, depth: depth)
        var head = MessageBytes()
        var children: [Range<Int>] = []
        while let field = try fields.nextField() {
            switch (field.number, field.wire) {
            case (1, ProtobufWire.lengthDelimited): head.add(try fields.lengthDelimited(), of: bytes)
            case (2, ProtobufWire.lengthDelimited): children.append(try fields.lengthDelimited())
            case (3, ProtobufWire.lengthDelimited): _ = try fields.string()
            default: try fields.skip(number: field.number, wire: field.wire)
            }
        }
        return (head, children)
    }

    // MARK: Span

    private mutating func span(
        _ range: Range<Int>, scopeTags: [Attribute], process: Process
    ) throws(OTLPError) -> Span {
        var fields = cursor(range, depth: Depth.span)
        var traceIDRange = 0..<0
        var spanIDRange = 0..<0
        var parentIDRange = 0..<0
        var traceState = ""
        var name = ""
        var kind = 0
        var start: UInt64 = 0
        var end: UInt64 = 0
        var flags: UInt32 = 0
        var status: OTLPSpanConverter.SpanStatus?
        attributeRanges.removeAll(keepingCapacity: true)
        eventRanges.removeAll(keepingCapacity: true)
        linkRanges.removeAll(keepingCapacity: true)
        while let field = try fields.nextField() {
            switch (field.number, field.wire) {
            case (1, ProtobufWire.lengthDelimited): traceIDRange = try fields.lengthDelimited()
            case (2, ProtobufWire.lengthDelimited): spanIDRange = try fields.lengthDelimited()
            case (3, ProtobufWire.lengthDelimited): traceState = try fields.string()
            case (4, ProtobufWire.lengthDelimited): parentIDRange = try fields.lengthDelimited()
            case (5, ProtobufWire.lengthDelimited): name = try fields.string()
            case (6, ProtobufWire.varint): kind = Int(Int32(truncatingIfNeeded: try fields.varint()))
            case (7, ProtobufWire.fixed64): start = try fields.fixed64()
            case (8, ProtobufWire.fixed64): end = try fields.fixed64()
            case (9, ProtobufWire.lengthDelimited): attributeRanges.append(try fields.lengthDelimited())
            case (10, ProtobufWire.varint), (12, ProtobufWire.varint), (14, ProtobufWire.varint): _ = try fields.varint()
            case (11, ProtobufWire.lengthDelimited): eventRanges.append(try fields.lengthDelimited())
            case (13, ProtobufWire.lengthDelimited): linkRanges.append(try fields.lengthDelimited())
            case (15, ProtobufWire.lengthDelimited):
                try readStatus(fields.lengthDelimited(), into: &status)
            case (16, ProtobufWire.fixed32): flags = try fields.fixed32()
            default: try fields.skip(number: field.number, wire: field.wire)
            }
        }
        // Converted in the order OTLPSpanConverter.convertSpan checks them.
        let trace = try traceID(traceIDRange, field: "traceId")
        let id = try spanID(spanIDRange, field: "spanId")
        let parent = try spanID(parentIDRange, field: "parentSpanId")
        let tags = OTLPSpanConverter.tags(
            scopeTags: scopeTags, attributes: try attributes(attributeRanges, depth: Depth.spanPart), kind: kind, status: status,
            traceState: traceState)
        let references = try references(traceID: trace, parentID: parent)
        let logs = try logs()
        return OTLPSpanConverter.span(
            traceID: trace, spanID: id, name: name, references: references, flags: flags,
            start: start, end: end, tags: tags, logs: logs, process: process)
    }

    /// Status fields are assigned in order, so a status sent twice merges as protobuf requires.
    private func readStatus(_ range: Range<Int>, into status: inout OTLPSpanConverter.SpanStatus?) throws(OTLPError) {
        var merged = status ?? OTLPSpanConverter.SpanStatus(code: 0, message: "")
        var fields = cursor(range, depth: Depth.spanPart)
        while let field = try fields.nextField() {
            switch (field.number, field.wire) {
            case (2, ProtobufWire.lengthDelimited): merged.message = try fields.string()
            case (3, ProtobufWire.varint): merged.code = Int(Int32(truncatingIfNeeded: try fields.varint()))
            default: try fields.skip(number: field.number, wire: field.wire)
            }
        }
        status = merged
    }

    private func references(traceID: TraceID, parentID: SpanID) throws(OTLPError) -> [SpanReference] {
        if linkRanges.isEmpty {
            return parentID == .zero ? [] : [SpanReference(refType: .childOf, traceID: traceID, spanID: parentID)]
        }
        let links = try OTLPSpanConverter.list(linkRanges.count, named: "links", limit: limits.maxLinksPerSpan) {
            index throws(OTLPError) in
            try message(OTLPSpan.Link.self, Array(bytes[linkRanges[index]]), depth: Depth.spanPart)
        }
        return try converter.references(links, traceID: traceID, parentID: parentID)
    }

    private mutating func logs() throws(OTLPError) -> [SpanLog] {
        guard !eventRanges.isEmpty else { return [] }
        return try OTLPSpanConverter.list(eventRanges.count, named: "events", limit: limits.maxEventsPerSpan) {
            index throws(OTLPError) in
            try event(eventRanges[index])
        }
    }

    private mutating func event(_ range: Range<Int>) throws(OTLPError) -> SpanLog {
        var fields = cursor(range, depth: Depth.spanPart)
        var time: UInt64 = 0
        var name = ""
        eventAttributeRanges.removeAll(keepingCapacity: true)
        while let field = try fields.nextField() {
            switch (field.number, field.wire) {
            case (1, ProtobufWire.fixed64): time = try fields.fixed64()
            case (2, ProtobufWire.lengthDelimited): name = try fields.string()
            case (3, ProtobufWire.lengthDelimited): eventAttributeRanges.append(try fields.lengthDelimited())
            case (4, ProtobufWire.varint): _ = try fields.varint()
            default: try fields.skip(number: field.number, wire: field.wire)
            }
        }
        return OTLPSpanConverter.log(time: time, name: name, attributes: try attributes(eventAttributeRanges, depth: Depth.eventAttribute))
    }

    // MARK: Ids

    private func traceID(_ range: Range<Int>, field: String) throws(OTLPError) -> TraceID {
        switch range.count {
        case 0: return .zero
        case 8: return TraceID(high: 0, low: bigEndian(at: range.lowerBound))
        case 16: return TraceID(high: bigEndian(at: range.lowerBound), low: bigEndian(at: range.lowerBound + 8))
        default: throw .invalidIDLength(path: field, length: range.count, expected: 16)
        }
    }

    private func spanID(_ range: Range<Int>, field: String) throws(OTLPError) -> SpanID {
        switch range.count {
        case 0: return .zero
        case 8: return SpanID(bigEndian(at: range.lowerBound))
        default: throw .invalidIDLength(path: field, length: range.count, expected: 8)
        }
    }

    private func bigEndian(at offset: Int) -> UInt64 {
        UInt64(bigEndian: UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self))
    }

    // MARK: Attributes

    /// Attributes whose KeyValue messages sit at `depth`.
    private func attributes(_ ranges: [Range<Int>], depth: Int) throws(OTLPError) -> [Attribute] {
        guard !ranges.isEmpty else { return [] }
        return try OTLPSpanConverter.list(ranges.count, named: "attributes", limit: limits.maxAttributesPerSpan) {
            index throws(OTLPError) in
            try keyValue(ranges[index], depth: depth)
        }
    }

    private func keyValue(_ range: Range<Int>, depth: Int) throws(OTLPError) -> Attribute {
        var fields = cursor(range, depth: depth)
        var key = ""
        var value = MessageBytes()
        while let field = try fields.nextField() {
            switch (field.number, field.wire) {
            case (1, ProtobufWire.lengthDelimited): key = try fields.string()
            case (2, ProtobufWire.lengthDelimited): value.add(try fields.lengthDelimited(), of: bytes)
            default: try fields.skip(number: field.number, wire: field.wire)
            }
        }
        let keyBytes = key.utf8.count
        guard keyBytes <= limits.maxAttributeValueBytes else {
            throw .valueTooLarge(path: "key", bytes: keyBytes, limit: limits.maxAttributeValueBytes)
        }
        do throws(OTLPError) {
            switch value {
            case .none: return Attribute(key: key, value: .string(""))
            case .one(let range): return Attribute(key: key, value: try anyValue(range, depth: depth + 1))
            case .merged(let merged):
                let decoded = try message(OTLPAnyValue.self, merged, depth: depth + 1)
                return Attribute(key: key, value: try converter.value(decoded))
            }
        } catch {
            throw error.at("value")
        }
    }

    /// Scalars are read here (the last oneof field wins); an array or kvlist sends the whole value
    /// to the generated message and `OTLPSpanConverter`, which renders it as JSON text.
    private func anyValue(_ range: Range<Int>, depth: Int) throws(OTLPError) -> AttributeValue {
        enum Scalar {
            case none
            case string(String)
            case bool(Bool)
            case int(Int64)
            case double(Double)
            case bytes(Range<Int>)
        }
        var fields = cursor(range, depth: depth)
        var scalar = Scalar.none
        while let field = try fields.nextField() {
            switch (field.number, field.wire) {
            case (1, ProtobufWire.lengthDelimited): scalar = .string(try fields.string())
            case (2, ProtobufWire.varint): scalar = .bool(try fields.varint() != 0)
            case (3, ProtobufWire.varint): scalar = .int(Int64(bitPattern: try fields.varint()))
            case (4, ProtobufWire.fixed64): scalar = .double(Double(bitPattern: try fields.fixed64()))
            case (5, ProtobufWire.lengthDelimited), (6, ProtobufWire.lengthDelimited):
                return try converter.value(message(OTLPAnyValue.self, Array(bytes[range]), depth: depth))
            case (7, ProtobufWire.lengthDelimited): scalar = .bytes(try fields.lengthDelimited())
            default: try fields.skip(number: field.number, wire: field.wire)
            }
        }
        let limit = limits.maxAttributeValueBytes
        switch scalar {
        case .none: return .string("")
        case .string(let text):
            let size = text.utf8.count
            guard size <= limit else { throw .valueTooLarge(path: "", bytes: size, limit: limit) }
            return .string(text)
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int64(number)
        case .double(let number): return .float64(number)
        case .bytes(let range):
            guard range.count <= limit else { throw .valueTooLarge(path: "", bytes: range.count, limit: limit) }
            return .binary(Array(bytes[range]))
        }
    }

    // MARK: Generated messages for the rare parts

    /// A singular message field's occurrences: protobuf merges them, which is the same as decoding
    /// their bytes one after another.
    private enum MessageBytes {
        case none
        case one(Range<Int>)
        case merged([UInt8])

        init() { self = .none }

        mutating func add(_ range: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) {
            switch self {
            case .none: self = .one(range)
            case .one(let first): self = .merged(Array(bytes[first]) + bytes[range])
            case .merged(var merged):
                self = .none
                merged.append(contentsOf: bytes[range])
                self = .merged(merged)
            }
        }

        /// The bytes to decode; none is the empty (default) message.
        func bytes(of bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
            switch self {
            case .none: return []
            case .one(let range): return Array(bytes[range])
            case .merged(let merged): return merged
            }
        }
    }

    /// Decodes a message that sits at `depth` with the generated type, with the depth budget left at that depth.
    private func message<M: SwiftProtobuf.Message>(_ type: M.Type, _ bytes: [UInt8], depth: Int) throws(OTLPError) -> M {
        guard depth <= depthLimit else { throw .malformedProtobuf(ProtobufWireFault.tooDeep.rawValue) }
        if bytes.isEmpty { return M() }
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = depthLimit - (depth - 1)
        do {
            return try M(serializedBytes: bytes, options: options)
        } catch {
            throw .malformedProtobuf(OTLPDecoder.describe(error))
        }
    }
}
