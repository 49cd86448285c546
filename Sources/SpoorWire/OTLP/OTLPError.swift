/// Why an OTLP trace request was rejected.
///
/// The description is meant for clients: it becomes the message of the HTTP 400
/// `google.rpc.Status` body and of the gRPC `invalidArgument` status. `path` names the element
/// in OTLP/JSON terms, e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId`.
package enum OTLPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The protobuf body is not a valid `ExportTraceServiceRequest`.
    case malformedProtobuf(String)
    /// The JSON body is not valid JSON text.
    case malformedJSON(String)
    /// A JSON member holds the wrong kind of value.
    case wrongJSONType(path: String, expected: String)
    /// A JSON member has the right kind but an unusable value (bad hex, bad base64, unknown enum name...).
    case invalidValue(path: String, reason: String)
    /// A trace or span id has a length other than 0 or 16/8 bytes.
    case invalidIDLength(path: String, length: Int, expected: Int)
    /// The request holds more spans than allowed.
    case tooManySpans(count: Int, limit: Int)
    /// An attribute, event or link list is longer than allowed.
    case tooManyItems(path: String, count: Int, limit: Int)
    /// A key, string, bytes value or rendered array/kvlist is larger than allowed.
    case valueTooLarge(path: String, bytes: Int, limit: Int)
    /// Arrays and kvlists nest deeper than allowed.
    case nestingTooDeep(path: String, limit: Int)

    package var description: String {
        switch self {
        case .malformedProtobuf(let detail):
            return "invalid OTLP protobuf body: \(detail)"
        case .malformedJSON(let detail):
            return "invalid OTLP JSON body: \(detail)"
        case .wrongJSONType(let path, let expected):
            return "\(Self.show(path)): expected \(expected)"
        case .invalidValue(let path, let reason):
            return "\(Self.show(path)): \(reason)"
        case .invalidIDLength(let path, let length, let expected):
            return "\(Self.show(path)): id must be empty or \(expected) bytes long, got \(length) bytes"
        case .tooManySpans(let count, let limit):
            return "request holds \(count) spans, more than the limit of \(limit)"
        case .tooManyItems(let path, let count, let limit):
            return "\(Self.show(path)): \(count) entries, more than the limit of \(limit)"
        case .valueTooLarge(let path, let bytes, let limit):
            return "\(Self.show(path)): value of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case .nestingTooDeep(let path, let limit):
            return "\(Self.show(path)): arrays/kvlists nested deeper than \(limit) levels"
        }
    }

    private static func show(_ path: String) -> String { path.isEmpty ? "request" : path }

    /// The same error with `component` prepended to its path (errors are built innermost first).
    func at(_ component: String) -> OTLPError {
        func join(_ path: String) -> String {
            if path.isEmpty { return component }
            if path.hasPrefix("[") { return component + path }
            return component + "." + path
        }
        switch self {
        case .wrongJSONType(let path, let expected):
            return .wrongJSONType(path: join(path), expected: expected)
        case .invalidValue(let path, let reason):
            return .invalidValue(path: join(path), reason: reason)
        case .invalidIDLength(let path, let length, let expected):
            return .invalidIDLength(path: join(path), length: length, expected: expected)
        case .tooManyItems(let path, let count, let limit):
            return .tooManyItems(path: join(path), count: count, limit: limit)
        case .valueTooLarge(let path, let bytes, let limit):
            return .valueTooLarge(path: join(path), bytes: bytes, limit: limit)
        case .nestingTooDeep(let path, let limit):
            return .nestingTooDeep(path: join(path), limit: limit)
        case .malformedProtobuf, .malformedJSON, .tooManySpans:
            return self
        }
    }
}

/// Bounds applied while decoding one OTLP request; anything beyond them is rejected.
///
/// They guard memory and CPU against hostile input; real exporters stay far below the defaults.
package struct OTLPLimits: Sendable, Equatable {
    /// Spans in one request. Default 100,000.
    package var maxSpansPerRequest: Int
    /// Entries in one attribute list (resource, scope, span, event or link), and in one
    /// array or kvlist value. Default 10,000.
    package var maxAttributesPerSpan: Int
    /// Events on one span. Default 10,000.
    package var maxEventsPerSpan: Int
    /// Links on one span. Default 10,000.
    package var maxLinksPerSpan: Int
    /// Bytes of one attribute key, string or bytes value, or the JSON text an array/kvlist
    /// becomes. Default 1 MiB.
    package var maxAttributeValueBytes: Int
    /// Levels of arrays/kvlists inside one attribute value (a scalar is 0). Default 16.
    package var maxAnyValueDepth: Int

    /// Creates limits; every parameter defaults to the value documented on its property.
    package init(
        maxSpansPerRequest: Int = 100_000,
        maxAttributesPerSpan: Int = 10_000,
        maxEventsPerSpan: Int = 10_000,
        maxLinksPerSpan: Int = 10_000,
        maxAttributeValueBytes: Int = 1 << 20,
        maxAnyValueDepth: Int = 16
    ) {
        self.maxSpansPerRequest = maxSpansPerRequest
        self.maxAttributesPerSpan = maxAttributesPerSpan
        self.maxEventsPerSpan = maxEventsPerSpan
        self.maxLinksPerSpan = maxLinksPerSpan
        self.maxAttributeValueBytes = maxAttributeValueBytes
        self.maxAnyValueDepth = maxAnyValueDepth
    }

    /// The documented defaults.
    package static let `default` = OTLPLimits()
}
