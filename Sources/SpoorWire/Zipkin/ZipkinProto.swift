import SpoorModel

/// Bounds-checked protobuf wire reading over one message's bytes.
///
/// ```
/// field    [tag: varint = field number << 3 | wire type][value]
/// wire 0   varint (at most 10 bytes)        wire 1   8 bytes little-endian
/// wire 2   [length: varint][bytes]          wire 5   4 bytes little-endian
/// ```
/// Groups (wire types 3 and 4) are obsolete and rejected. Every length is checked against the bytes
/// of the enclosing message before anything is read or allocated.
struct ZipkinProtoReader {
    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    private func failure(_ reason: String, at offset: Int? = nil) -> ZipkinError {
        .malformedProtobuf(reason: reason, offset: offset ?? index)
    }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(ZipkinError) -> (number: UInt64, wireType: UInt8)? {
        guard index < end else { return nil }
        let start = index
        let tag = try varint()
        let number = tag >> 3
        guard number >= 1, number <= 536_870_911 else { throw failure("invalid field number \(number)", at: start) }
        return (number, UInt8(tag & 7))
    }

    mutating func varint() throws(ZipkinError) -> UInt64 {
        let start = index
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw failure("truncated varint", at: start) }
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 1 { throw failure("varint overflows 64 bits", at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func fixed64() throws(ZipkinError) -> UInt64 {
        guard end - index >= 8 else { throw failure("truncated fixed64") }
        var value: UInt64 = 0
        for offset in (0..<8).reversed() { value = value << 8 | UInt64(bytes[index + offset]) }
        index += 8
        return value
    }

    /// The byte range of a length-delimited value, after checking it fits in the message.
    mutating func lengthDelimited() throws(ZipkinError) -> Range<Int> {
        let start = index
        let length = try varint()
        guard length <= UInt64(end - index) else {
            throw failure("length \(length) runs past the end of the message", at: start)
        }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    /// A length-delimited value as text (invalid UTF-8 is repaired), at most `limit` bytes.
    mutating func string(limit: Int, field: String) throws(ZipkinError) -> String {
        let range = try lengthDelimited()
        guard range.count <= limit else { throw .valueTooLarge(path: field, bytes: range.count, limit: limit) }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    /// A length-delimited value as bytes.
    mutating func data() throws(ZipkinError) -> [UInt8] {
        Array(bytes[try lengthDelimited()])
    }

    /// Skips one value of `wireType`.
    mutating func skip(_ wireType: UInt8) throws(ZipkinError) {
        switch wireType {
        case 0: _ = try varint()
        case 1:
            guard end - index >= 8 else { throw failure("truncated fixed64") }
            index += 8
        case 2: _ = try lengthDelimited()
        case 5:
            guard end - index >= 4 else { throw failure("truncated fixed32") }
            index += 4
        default: throw failure("unsupported wire type \(wireType)")
        }
    }

    /// A reader over an embedded message.
    func nested(_ range: Range<Int>) -> ZipkinProtoReader {
        ZipkinProtoReader(bytes: bytes, range: range)
    }

    /// Reads a length-delimited embedded message and returns a reader over it.
    mutating func message() throws(ZipkinError) -> ZipkinProtoReader {
        nested(try lengthDelimited())
    }
}

/// Decodes `zipkin.proto3.ListOfSpans` (spec/ingest.md §3.5) by hand:
/// ```
/// ListOfSpans  1 repeated Span spans
/// Span         1 bytes trace_id (8|16)  2 bytes parent_id (8)  3 bytes id (8)  4 Kind kind
///              5 string name  6 fixed64 timestamp  7 uint64 duration  8 Endpoint local_endpoint
///              9 Endpoint remote_endpoint  10 repeated Annotation annotations
///              11 map<string,string> tags  12 bool debug  13 bool shared
/// Endpoint     1 string service_name  2 bytes ipv4 (4)  3 bytes ipv6 (16)  4 int32 port
/// Annotation   1 fixed64 timestamp  2 string value
/// Kind         UNSPECIFIED 0, CLIENT 1, SERVER 2, PRODUCER 3, CONSUMER 4
/// ```
/// Unknown fields, and known fields with another wire type, are skipped as protobuf requires.
enum ZipkinProtoDecoder {
    static func listOfSpans(_ bytes: [UInt8], limits: DecodingLimits) throws(ZipkinError) -> [ZipkinV2Span] {
        var reader = ZipkinProtoReader(bytes: bytes, range: 0..<bytes.count)
        var spans: [ZipkinV2Span] = []
        while let field = try reader.nextField() {
            guard field.number == 1, field.wireType == 2 else {
                try reader.skip(field.wireType)
                continue
            }
            let range = try reader.lengthDelimited()
            guard spans.count < limits.maxSpansPerBatch else {
                throw .tooManySpans(count: spans.count + 1, limit: limits.maxSpansPerBatch)
            }
            do throws(ZipkinError) {
                var spanReader = reader.nested(range)
                spans.append(try span(&spanReader, limits: limits))
            } catch {
                throw error.at("spans[\(spans.count)]")
            }
        }
        return spans
    }

    private static func span(_ reader: inout ZipkinProtoReader, limits: DecodingLimits) throws(ZipkinError)
        -> ZipkinV2Span
    {
        var span = ZipkinV2Span()
        var tags = ZipkinOrderedPairs<String>()
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 2):
                let bytes = try reader.data()
                guard bytes.count == 8 || bytes.count == 16, let id = TraceID(bytes: bytes) else {
                    throw .invalidValue(path: "trace_id", reason: "must be 8 or 16 bytes, got \(bytes.count)")
                }
                span.traceID = id
            case (2, 2):
                let bytes = try reader.data()
                guard let id = SpanID(bytes: bytes) else {
                    throw .invalidValue(path: "parent_id", reason: "must be 8 bytes, got \(bytes.count)")
                }
                span.parentID = id
            case (3, 2):
                let bytes = try reader.data()
                guard bytes.count == 8, let id = SpanID(bytes: bytes) else {
                    throw .invalidValue(path: "id", reason: "must be 8 bytes, got \(bytes.count)")
                }
                span.id = id
            case (4, 0):
                switch try reader.varint() {
                case 1: span.kind = .client
                case 2: span.kind = .server
                case 3: span.kind = .producer
                case 4: span.kind = .consumer
                default: span.kind = .unspecified
                }
            case (5, 2): span.name = try reader.string(limit: limits.maxStringBytes, field: "name")
            case (6, 1): span.timestamp = try reader.fixed64()
            case (7, 0): span.duration = try reader.varint()
            case (8, 2): span.localEndpoint = try endpoint(reader.message(), limits: limits, field: "local_endpoint")
            case (9, 2): span.remoteEndpoint = try endpoint(reader.message(), limits: limits, field: "remote_endpoint")
            case (10, 2):
                guard span.annotations.count < limits.maxListElements else {
                    throw .tooManyItems(
                        path: "annotations", count: span.annotations.count + 1, limit: limits.maxListElements)
                }
                span.annotations.append(try annotation(reader.message(), limits: limits))
            case (11, 2):
                let entry = try mapEntry(reader.message(), limits: limits)
                tags.put(entry.key, entry.value)
                guard tags.count <= limits.maxTagsPerSpan else {
                    throw .tooManyItems(path: "tags", count: tags.count, limit: limits.maxTagsPerSpan)
                }
            case (12, 0): span.debug = try reader.varint() != 0
            case (13, 0): span.shared = try reader.varint() != 0
            default: try reader.skip(field.wireType)
            }
        }
        guard span.traceID != .zero else { throw .invalidValue(path: "trace_id", reason: "valid traceId required") }
        guard span.id != .zero else { throw .invalidValue(path: "id", reason: "valid span id required") }
        span.tags = tags.pairs
        return span
    }

    /// Addresses of the wrong length are dropped; ports outside 1–65535 are unknown (0).
    private static func endpoint(
        _ reader: ZipkinProtoReader, limits: DecodingLimits, field: String
    ) throws(ZipkinError) -> ZipkinV2Endpoint {
        var reader = reader
        var endpoint = ZipkinV2Endpoint()
        while let next = try reader.nextField() {
            switch (next.number, next.wireType) {
            case (1, 2):
                endpoint.serviceName = try reader.string(limit: limits.maxStringBytes, field: field + ".service_name")
            case (2, 2):
                let bytes = try reader.data()
                endpoint.ipv4 = bytes.count == 4 ? bytes : nil
            case (3, 2):
                let bytes = try reader.data()
                endpoint.ipv6 = bytes.count == 16 ? bytes : nil
            case (4, 0):
                let port = Int32(truncatingIfNeeded: try reader.varint())
                endpoint.port = (1...65_535).contains(port) ? Int(port) : 0
            default: try reader.skip(next.wireType)
            }
        }
        return endpoint
    }

    private static func annotation(
        _ reader: ZipkinProtoReader, limits: DecodingLimits
    ) throws(ZipkinError) -> (timestamp: UInt64, value: String) {
        var reader = reader
        var annotation: (timestamp: UInt64, value: String) = (0, "")
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 1): annotation.timestamp = try reader.fixed64()
            case (2, 2): annotation.value = try reader.string(limit: limits.maxStringBytes, field: "annotations.value")
            default: try reader.skip(field.wireType)
            }
        }
        return annotation
    }

    private static func mapEntry(_ reader: ZipkinProtoReader, limits: DecodingLimits) throws(ZipkinError) -> (
        key: String, value: String
    ) {
        var reader = reader
        var entry = (key: "", value: "")
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 2): entry.key = try reader.string(limit: limits.maxStringBytes, field: "tags.key")
            case (2, 2): entry.value = try reader.string(limit: limits.maxStringBytes, field: "tags.value")
            default: try reader.skip(field.wireType)
            }
        }
        return entry
    }
}
