/// Why a Jaeger api_v2 batch (`PostSpans` on 14250) was rejected.
///
/// The description is meant for clients: it becomes the message of the gRPC `invalidArgument` status. `path` names
/// the element with the proto field names, e.g. `spans[3].references[0].trace_id`.
package enum JaegerProtoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A trace id is not 16 or 8 bytes (or empty), or a span id not 8 bytes (or empty).
    case invalidIDLength(path: String, length: Int, expected: String)
    /// The batch holds more spans than allowed.
    case tooManySpans(count: Int, limit: Int)
    /// A tag, log, log field or reference list is longer than allowed.
    case tooManyItems(path: String, count: Int, limit: Int)
    /// A key, string or binary value is larger than allowed.
    case valueTooLarge(path: String, bytes: Int, limit: Int)

    package var description: String {
        switch self {
        case .invalidIDLength(let path, let length, let expected):
            return "\(path): id must be empty or \(expected) bytes long, got \(length) bytes"
        case .tooManySpans(let count, let limit):
            return "batch holds \(count) spans, more than the limit of \(limit)"
        case .tooManyItems(let path, let count, let limit):
            return "\(path): \(count) entries, more than the limit of \(limit)"
        case .valueTooLarge(let path, let bytes, let limit):
            return "\(path): value of \(bytes) bytes exceeds the limit of \(limit) bytes"
        }
    }

    /// The same error with `component` prepended to its path (errors are built innermost first).
    func at(_ component: String) -> JaegerProtoError {
        func join(_ path: String) -> String {
            if path.isEmpty { return component }
            if path.hasPrefix("[") { return component + path }
            return component + "." + path
        }
        switch self {
        case .invalidIDLength(let path, let length, let expected):
            return .invalidIDLength(path: join(path), length: length, expected: expected)
        case .tooManyItems(let path, let count, let limit):
            return .tooManyItems(path: join(path), count: count, limit: limit)
        case .valueTooLarge(let path, let bytes, let limit):
            return .valueTooLarge(path: join(path), bytes: bytes, limit: limit)
        case .tooManySpans:
            return self
        }
    }
}

/// Bounds applied while converting one api_v2 batch; anything beyond them is rejected.
///
/// The gRPC message size limit already bounds memory; these keep single spans sane. Real clients stay far below.
package struct JaegerProtoLimits: Sendable, Equatable {
    /// Spans in one batch. Default 100,000.
    package var maxSpansPerBatch: Int
    /// Entries in one tag list (span or process), log list, log field list or reference list. Default 10,000.
    package var maxItemsPerList: Int
    /// Bytes of one key, string value, binary value or operation name. Default 1 MiB.
    package var maxValueBytes: Int

    /// Creates limits; every parameter defaults to the value documented on its property.
    package init(maxSpansPerBatch: Int = 100_000, maxItemsPerList: Int = 10_000, maxValueBytes: Int = 1 << 20) {
        self.maxSpansPerBatch = maxSpansPerBatch
        self.maxItemsPerList = maxItemsPerList
        self.maxValueBytes = maxValueBytes
    }

    /// The documented defaults.
    package static let `default` = JaegerProtoLimits()
}
