/// A typed tag value, as in Jaeger's model (`ValueType`).
public enum AttributeValue: Hashable, Sendable {
    case string(String)
    case bool(Bool)
    case int64(Int64)
    case float64(Double)
    case binary([UInt8])

    /// The value compared by tag search: `true`, `200`, `1.5`, text as is, binary as lowercase hex.
    public var searchString: String {
        switch self {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int64(let i): return String(i)
        case .float64(let d): return FloatFormat.shortest(d)
        case .binary(let bytes): return Hex.encode(bytes)
        }
    }
}

/// Shortest round-trip rendering of doubles, shared by search and JSON.
public enum FloatFormat {
    /// `72.5` → "72.5", `3.0` → "3", NaN → "NaN", infinities → "Infinity"/"-Infinity".
    public static func shortest(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return d.description
    }
}

/// A key with a typed value (span tag, process tag or log field).
public struct Attribute: Hashable, Sendable {
    public var key: String
    public var value: AttributeValue

    /// Creates an attribute.
    public init(key: String, value: AttributeValue) {
        self.key = key
        self.value = value
    }

    /// Shorthand for a string attribute.
    public static func string(_ key: String, _ value: String) -> Attribute { .init(key: key, value: .string(value)) }
    /// Shorthand for a bool attribute.
    public static func bool(_ key: String, _ value: Bool) -> Attribute { .init(key: key, value: .bool(value)) }
    /// Shorthand for an int64 attribute.
    public static func int64(_ key: String, _ value: Int64) -> Attribute { .init(key: key, value: .int64(value)) }
    /// Shorthand for a float64 attribute.
    public static func float64(_ key: String, _ value: Double) -> Attribute { .init(key: key, value: .float64(value)) }
}

/// The emitting service and its tags.
public struct Process: Hashable, Sendable {
    public var serviceName: String
    public var tags: [Attribute]

    /// Creates a process.
    public init(serviceName: String, tags: [Attribute] = []) {
        self.serviceName = serviceName
        self.tags = tags
    }
}

/// Jaeger reference types.
public enum SpanRefType: UInt8, Hashable, Sendable {
    case childOf = 0
    case followsFrom = 1
}

/// A reference from a span to another span (parent or link).
public struct SpanReference: Hashable, Sendable {
    public var refType: SpanRefType
    public var traceID: TraceID
    public var spanID: SpanID

    /// Creates a reference.
    public init(refType: SpanRefType, traceID: TraceID, spanID: SpanID) {
        self.refType = refType
        self.traceID = traceID
        self.spanID = spanID
    }
}

/// A timestamped set of fields (Jaeger log, OTLP event).
public struct SpanLog: Hashable, Sendable {
    public var timestampUnixNanos: UInt64
    public var fields: [Attribute]

    /// Creates a log.
    public init(timestampUnixNanos: UInt64, fields: [Attribute]) {
        self.timestampUnixNanos = timestampUnixNanos
        self.fields = fields
    }
}

/// Span kinds as Jaeger names them in the `span.kind` tag; `unspecified` has no tag.
public enum SpanKind: UInt8, Hashable, Sendable, CaseIterable {
    case unspecified = 0
    case internalKind = 1
    case server = 2
    case client = 3
    case producer = 4
    case consumer = 5

    /// The lowercase tag value (`""` for unspecified).
    public var name: String {
        switch self {
        case .unspecified: return ""
        case .internalKind: return "internal"
        case .server: return "server"
        case .client: return "client"
        case .producer: return "producer"
        case .consumer: return "consumer"
        }
    }

    /// Parses a tag value (case-insensitive); unknown text is nil.
    public init?(name: String) {
        switch name.lowercased() {
        case "": self = .unspecified
        case "internal": self = .internalKind
        case "server": self = .server
        case "client": self = .client
        case "producer": self = .producer
        case "consumer": self = .consumer
        default: return nil
        }
    }
}

/// One span in Jaeger's model, with nanosecond times.
public struct Span: Hashable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var operationName: String
    /// Parent first (CHILD_OF), then other references in order.
    public var references: [SpanReference]
    /// Jaeger flags: 1 sampled, 2 debug.
    public var flags: UInt32
    public var startTimeUnixNanos: UInt64
    public var durationNanos: UInt64
    public var tags: [Attribute]
    public var logs: [SpanLog]
    public var process: Process
    public var warnings: [String]

    /// Creates a span.
    public init(
        traceID: TraceID, spanID: SpanID, operationName: String, references: [SpanReference] = [],
        flags: UInt32 = 0, startTimeUnixNanos: UInt64, durationNanos: UInt64, tags: [Attribute] = [],
        logs: [SpanLog] = [], process: Process, warnings: [String] = []
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.operationName = operationName
        self.references = references
        self.flags = flags
        self.startTimeUnixNanos = startTimeUnixNanos
        self.durationNanos = durationNanos
        self.tags = tags
        self.logs = logs
        self.process = process
        self.warnings = warnings
    }

    /// End time (start + duration), saturating.
    @inlinable
    public var endTimeUnixNanos: UInt64 {
        let (sum, overflow) = startTimeUnixNanos.addingReportingOverflow(durationNanos)
        return overflow ? UInt64.max : sum
    }

    /// The parent: first same-trace CHILD_OF reference, else first same-trace FOLLOWS_FROM.
    ///
    /// Inlinable, as are `kindAndError` and `endTimeUnixNanos`: called across modules on a span read in place (through
    /// a buffer pointer), an opaque getter makes the caller copy the whole span, retaining every field.
    @inlinable
    public var parentSpanID: SpanID? {
        if let ref = references.first(where: { $0.refType == .childOf && $0.traceID == traceID }) {
            return ref.spanID
        }
        return references.first(where: { $0.refType == .followsFrom && $0.traceID == traceID })?.spanID
    }

    /// Kind from the first `span.kind` tag with a string value (`unspecified` when none or unknown).
    public var kind: SpanKind { kindAndError.kind }

    /// `kind` and `isError` in one pass over the tags (lengths are compared before the keys): the rules of both.
    @inlinable
    public var kindAndError: (kind: SpanKind, isError: Bool) {
        var kind: SpanKind? = nil
        var isError = false
        for tag in tags {
            switch tag.key.utf8.count {
            case 9 where kind == nil && tag.key == "span.kind":
                if case .string(let s) = tag.value { kind = SpanKind(name: s) ?? .unspecified }
            case 5 where !isError && tag.key == "error":
                switch tag.value {
                case .bool(let b): isError = b
                case .string(let s): isError = s.lowercased() == "true"
                default: break
                }
            default: break
            }
        }
        return (kind ?? .unspecified, isError)
    }

    /// True when the span carries `error=true` (bool, or the string "true", in any case).
    public var isError: Bool { kindAndError.isError }
}

/// Names the collector gives to spans without a usable service, as Jaeger does.
public enum ServiceNames {
    /// OTLP resource without attributes.
    public static let otlpNoServiceName = "OTLPResourceNoServiceName"
    /// Empty service name after conversion.
    public static let emptyServiceName = "empty-service-name"
    /// Batch without a process.
    public static let nullProcess = "null-process-and-service-name"
}

// MARK: Equality by stored bytes
//
// Two model values are equal when they would be stored as the same bytes: text by its UTF-8 bytes (Swift's `String`
// `==` treats canonically equivalent spellings, "é" and "e" + U+0301, as equal) and floats by their bit pattern (NaN
// equals itself, 0.0 and -0.0 differ). Grouping spans by process, dropping duplicate spans and comparing tag values then
// keep apart what the store and Jaeger keep apart.

extension AttributeValue {
    public static func == (a: AttributeValue, b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x.hasSameUTF8(as: y)
        case (.bool(let x), .bool(let y)): return x == y
        case (.int64(let x), .int64(let y)): return x == y
        case (.float64(let x), .float64(let y)): return x.bitPattern == y.bitPattern
        case (.binary(let x), .binary(let y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .string(let text):
            hasher.combine(0 as UInt8)
            ExactString(text).hash(into: &hasher)
        case .bool(let flag):
            hasher.combine(1 as UInt8)
            hasher.combine(flag)
        case .int64(let number):
            hasher.combine(2 as UInt8)
            hasher.combine(number)
        case .float64(let number):
            hasher.combine(3 as UInt8)
            hasher.combine(number.bitPattern)
        case .binary(let bytes):
            hasher.combine(4 as UInt8)
            hasher.combine(bytes)
        }
    }
}

extension Attribute {
    public static func == (a: Attribute, b: Attribute) -> Bool { a.key.hasSameUTF8(as: b.key) && a.value == b.value }

    public func hash(into hasher: inout Hasher) {
        ExactString(key).hash(into: &hasher)
        value.hash(into: &hasher)
    }
}

extension Process {
    public static func == (a: Process, b: Process) -> Bool {
        a.serviceName.hasSameUTF8(as: b.serviceName) && a.tags == b.tags
    }

    public func hash(into hasher: inout Hasher) {
        ExactString(serviceName).hash(into: &hasher)
        hasher.combine(tags)
    }
}

extension Span {
    /// Every stored field; a field added to `Span` must be added here and to `hash(into:)`.
    public static func == (a: Span, b: Span) -> Bool {
        a.traceID == b.traceID && a.spanID == b.spanID && a.operationName.hasSameUTF8(as: b.operationName)
            && a.references == b.references && a.flags == b.flags && a.startTimeUnixNanos == b.startTimeUnixNanos
            && a.durationNanos == b.durationNanos && a.tags == b.tags && a.logs == b.logs && a.process == b.process
            && a.warnings.count == b.warnings.count
            && zip(a.warnings, b.warnings).allSatisfy { $0.hasSameUTF8(as: $1) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(traceID)
        hasher.combine(spanID)
        ExactString(operationName).hash(into: &hasher)
        hasher.combine(references)
        hasher.combine(flags)
        hasher.combine(startTimeUnixNanos)
        hasher.combine(durationNanos)
        hasher.combine(tags)
        hasher.combine(logs)
        hasher.combine(process)
        hasher.combine(warnings.count)
        for warning in warnings { ExactString(warning).hash(into: &hasher) }
    }
}
