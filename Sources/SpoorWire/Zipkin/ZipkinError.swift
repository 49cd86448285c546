/// Why a Zipkin payload was rejected.
///
/// The description is meant for clients: the Zipkin routes answer it as the body of a 400.
/// `path` names the element in Zipkin JSON terms, e.g. `[3].localEndpoint.ipv4` or
/// `[0].annotations[1].timestamp`; protobuf errors use the field names of `zipkin.proto`.
package enum ZipkinError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The Thrift body (v1 `list<zipkincore.Span>`) could not be decoded.
    case thrift(ThriftError)
    /// The JSON body is not valid JSON text.
    case malformedJSON(reason: String, offset: Int)
    /// The protobuf body is not a valid `zipkin.proto3.ListOfSpans`.
    case malformedProtobuf(reason: String, offset: Int)
    /// A JSON member holds the wrong kind of value.
    case wrongJSONType(path: String, expected: String)
    /// A value of the right kind that cannot be used (bad hex id, bad IP address, negative time...).
    case invalidValue(path: String, reason: String)
    /// A required field (trace id, span id) is absent.
    case missingField(path: String)
    /// The body holds more spans than allowed.
    case tooManySpans(count: Int, limit: Int)
    /// A list (annotations, tags, array members) is longer than allowed.
    case tooManyItems(path: String, count: Int, limit: Int)
    /// A string or bytes value is larger than allowed.
    case valueTooLarge(path: String, bytes: Int, limit: Int)
    /// JSON arrays and objects nest deeper than allowed.
    case nestingTooDeep(limit: Int)

    package var description: String {
        switch self {
        case .thrift(let error):
            return "invalid Zipkin Thrift body: \(error)"
        case .malformedJSON(let reason, let offset):
            return "invalid Zipkin JSON body: \(reason) at byte \(offset)"
        case .malformedProtobuf(let reason, let offset):
            return "invalid Zipkin protobuf body: \(reason) at byte \(offset)"
        case .wrongJSONType(let path, let expected):
            return "\(Self.show(path)): expected \(expected)"
        case .invalidValue(let path, let reason):
            return "\(Self.show(path)): \(reason)"
        case .missingField(let path):
            return "\(Self.show(path)): required field is missing"
        case .tooManySpans(let count, let limit):
            return "body holds \(count) spans, more than the limit of \(limit)"
        case .tooManyItems(let path, let count, let limit):
            return "\(Self.show(path)): \(count) entries, more than the limit of \(limit)"
        case .valueTooLarge(let path, let bytes, let limit):
            return "\(Self.show(path)): value of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case .nestingTooDeep(let limit):
            return "invalid Zipkin JSON body: arrays and objects nested deeper than \(limit) levels"
        }
    }

    private static func show(_ path: String) -> String { path.isEmpty ? "body" : path }

    /// The same error with `component` prepended to its path (errors are built innermost first,
    /// so the success path builds no path strings).
    func at(_ component: String) -> ZipkinError {
        func join(_ path: String) -> String {
            if path.isEmpty { return component }
            if path.hasPrefix("[") { return component + path }
            return component + "." + path
        }
        switch self {
        case .wrongJSONType(let path, let expected): return .wrongJSONType(path: join(path), expected: expected)
        case .invalidValue(let path, let reason): return .invalidValue(path: join(path), reason: reason)
        case .missingField(let path): return .missingField(path: join(path))
        case .tooManyItems(let path, let count, let limit):
            return .tooManyItems(path: join(path), count: count, limit: limit)
        case .valueTooLarge(let path, let bytes, let limit):
            return .valueTooLarge(path: join(path), bytes: bytes, limit: limit)
        case .thrift, .malformedJSON, .malformedProtobuf, .tooManySpans, .nestingTooDeep: return self
        }
    }
}
