/// Why a Thrift payload could not be decoded.
///
/// Every case carries enough context to log the failure or return it in an HTTP 400 body
/// (`Unable to process request body: <description>`).
package enum ThriftError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before the value that starts or continues at `offset`.
    case truncated(offset: Int)
    /// A string, binary, list, set or map length was negative.
    case negativeLength(length: Int, offset: Int)
    /// A length or element count exceeded the configured `DecodingLimits`.
    case lengthOverLimit(length: Int, limit: Int)
    /// A varint ran past its maximum length (5 bytes for 32-bit values, 10 for 64-bit).
    case varintTooLong(offset: Int)
    /// A type id that is not a Thrift type.
    case invalidType(UInt8, offset: Int)
    /// A known list field whose elements have the wrong type (binary-protocol type id).
    case unexpectedType(fieldID: Int16, wireType: UInt8)
    /// Structs, lists, sets or maps nested deeper than `DecodingLimits.maxDepth`.
    case depthExceeded(limit: Int)
    /// A field that the IDL marks `required` was absent or had the wrong type.
    case missingRequiredField(struct: String, field: String)
    /// A compact message did not start with `0x82`.
    case badProtocolID(UInt8)
    /// The message header carried an unsupported protocol version.
    case badVersion(UInt32)
    /// The message type was not CALL (1) or ONEWAY (4).
    case badMessageType(UInt8)
    /// The message named a method the agent does not serve.
    case unknownMethod(String)

    /// A one-line explanation, suitable for logs and HTTP 400 bodies.
    package var description: String {
        switch self {
        case .truncated(let offset):
            return "unexpected end of input at byte \(offset)"
        case .negativeLength(let length, let offset):
            return "negative length \(length) at byte \(offset)"
        case .lengthOverLimit(let length, let limit):
            return "size \(length) exceeds the allowed maximum of \(limit)"
        case .varintTooLong(let offset):
            return "varint too long at byte \(offset)"
        case .invalidType(let type, let offset):
            return "unknown data type \(type) at byte \(offset)"
        case .unexpectedType(let fieldID, let wireType):
            return "field \(fieldID) holds elements of unexpected type \(wireType)"
        case .depthExceeded(let limit):
            return "nesting deeper than \(limit) levels"
        case .missingRequiredField(let structName, let field):
            return "required field \(field) of \(structName) is not set"
        case .badProtocolID(let id):
            return "expected protocol id 0x82 but got 0x\(String(id, radix: 16))"
        case .badVersion(let version):
            return "bad version 0x\(String(version, radix: 16)) in message header"
        case .badMessageType(let type):
            return "unexpected message type \(type), want CALL or ONEWAY"
        case .unknownMethod(let name):
            return "unknown method \(name.debugDescription)"
        }
    }
}

/// Bounds applied while decoding untrusted Thrift input.
///
/// Every length is also checked against the bytes that remain, so a hostile header can never
/// make the decoder allocate more than the input could fill.
package struct DecodingLimits: Sendable, Equatable {
    /// Largest string or binary value, in bytes.
    package var maxStringBytes: Int
    /// Largest element count of any list, set or map.
    package var maxListElements: Int
    /// Largest number of spans in one batch (also bounds `emitZipkinBatch` lists).
    package var maxSpansPerBatch: Int
    /// Largest number of tags on a span or process, and of fields in one log.
    package var maxTagsPerSpan: Int
    /// Deepest nesting of structs and containers.
    package var maxDepth: Int

    /// Creates limits; every value should be positive.
    package init(
        maxStringBytes: Int, maxListElements: Int, maxSpansPerBatch: Int, maxTagsPerSpan: Int,
        maxDepth: Int
    ) {
        self.maxStringBytes = maxStringBytes
        self.maxListElements = maxListElements
        self.maxSpansPerBatch = maxSpansPerBatch
        self.maxTagsPerSpan = maxTagsPerSpan
        self.maxDepth = maxDepth
    }

    /// 4 MiB strings, 1,048,576 elements per container, 100,000 spans per batch,
    /// 10,000 tags per span, nesting depth 64.
    package static let `default` = DecodingLimits(
        maxStringBytes: 4 << 20, maxListElements: 1 << 20, maxSpansPerBatch: 100_000,
        maxTagsPerSpan: 10_000, maxDepth: 64
    )
}
