import SpoorModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads parsed Zipkin JSON (v1 and v2 APIs) into the Zipkin data models.
///
/// Both APIs: a top-level array of span objects (a `null` element is skipped); unknown members are
/// ignored and `null` means absent; ids are hex (trace ids up to 32 digits, span ids up to 16,
/// `parentId` may be `""`); times are µs integers; IP addresses are text.
enum ZipkinJSONReader {
    // MARK: v2

    static func v2Spans(_ root: JSONValue, limits: DecodingLimits) throws(ZipkinError) -> [ZipkinV2Span] {
        try spans(root, limits: limits) { (item: JSONValue) throws(ZipkinError) in try v2Span(item, limits: limits) }
    }

    private static func v2Span(_ object: JSONValue, limits: DecodingLimits) throws(ZipkinError) -> ZipkinV2Span {
        guard case .object = object else { throw .wrongJSONType(path: "", expected: "a span object") }
        var span = ZipkinV2Span()
        span.traceID = try traceID(object)
        span.id = try spanID(object, "id")
        guard span.traceID != .zero else { throw .invalidValue(path: "traceId", reason: "valid traceId required") }
        guard span.id != .zero else { throw .invalidValue(path: "id", reason: "valid span id required") }
        span.parentID = try parentID(object) ?? .zero
        span.name = try ZipkinJSONRead.string(object, "name") ?? ""
        switch try ZipkinJSONRead.string(object, "kind")?.uppercased() {
        case "CLIENT": span.kind = .client
        case "SERVER": span.kind = .server
        case "PRODUCER": span.kind = .producer
        case "CONSUMER": span.kind = .consumer
        default: span.kind = .unspecified
        }
        span.timestamp = try ZipkinJSONRead.uint64(object, "timestamp") ?? 0
        span.duration = try ZipkinJSONRead.uint64(object, "duration") ?? 0
        span.debug = try ZipkinJSONRead.bool(object, "debug") ?? false
        span.shared = try ZipkinJSONRead.bool(object, "shared") ?? false
        span.localEndpoint = try member(object, "localEndpoint") { value throws(ZipkinError) in try v2Endpoint(value) }
        span.remoteEndpoint = try member(object, "remoteEndpoint") { value throws(ZipkinError) in try v2Endpoint(value)
        }

        let annotations = try ZipkinJSONRead.array(object, "annotations") ?? []
        span.annotations.reserveCapacity(annotations.count)
        for (index, annotation) in annotations.enumerated() {
            do throws(ZipkinError) {
                guard case .object = annotation else {
                    throw .wrongJSONType(path: "", expected: "an annotation object")
                }
                span.annotations.append(
                    (
                        try ZipkinJSONRead.uint64(annotation, "timestamp") ?? 0,
                        try ZipkinJSONRead.string(annotation, "value") ?? ""
                    ))
            } catch {
                throw error.at("annotations[\(index)]")
            }
        }

        if let tags = object["tags"] {
            guard case .object(let members) = tags else { throw .wrongJSONType(path: "tags", expected: "an object") }
            guard members.count <= limits.maxTagsPerSpan else {
                throw .tooManyItems(path: "tags", count: members.count, limit: limits.maxTagsPerSpan)
            }
            var pairs = ZipkinOrderedPairs<String>()
            for member in members {
                switch member.value {
                case .string(let text): pairs.put(member.key, text)
                // Zipkin tags are strings; numbers and booleans are kept as their JSON text.
                case .number(let text): pairs.put(member.key, text)
                case .bool(let flag): pairs.put(member.key, flag ? "true" : "false")
                case .null: continue
                case .array, .object:
                    throw .wrongJSONType(path: "tags." + member.key, expected: "a string")
                }
            }
            span.tags = pairs.pairs
        }
        return span
    }

    private static func v2Endpoint(_ object: JSONValue) throws(ZipkinError) -> ZipkinV2Endpoint {
        guard case .object = object else { throw .wrongJSONType(path: "", expected: "an endpoint object") }
        var endpoint = ZipkinV2Endpoint()
        endpoint.serviceName = try ZipkinJSONRead.string(object, "serviceName") ?? ""
        if let text = try ZipkinJSONRead.string(object, "ipv4"), !text.isEmpty {
            guard let bytes = ZipkinIP.parseIPv4(text) else {
                throw .invalidValue(path: "ipv4", reason: "invalid IPv4 address \(text.debugDescription)")
            }
            endpoint.ipv4 = bytes
        }
        if let text = try ZipkinJSONRead.string(object, "ipv6"), !text.isEmpty {
            guard let bytes = ZipkinIP.parseIPv6(text) else {
                throw .invalidValue(path: "ipv6", reason: "invalid IPv6 address \(text.debugDescription)")
            }
            endpoint.ipv6 = bytes
        }
        endpoint.port = try port(object)
        return endpoint
    }

    // MARK: v1

    static func v1Spans(_ root: JSONValue, limits: DecodingLimits) throws(ZipkinError) -> [ZipkinV1Span] {
        try spans(root, limits: limits) { (item: JSONValue) throws(ZipkinError) in try v1Span(item, limits: limits) }
    }

    private static func v1Span(_ object: JSONValue, limits: DecodingLimits) throws(ZipkinError) -> ZipkinV1Span {
        guard case .object = object else { throw .wrongJSONType(path: "", expected: "a span object") }
        var span = ZipkinV1Span()
        let traceID = try traceID(object)
        span.traceID = Int64(bitPattern: traceID.low)
        span.traceIDHigh = traceID.high == 0 ? nil : Int64(bitPattern: traceID.high)
        span.id = Int64(bitPattern: try spanID(object, "id").value)
        span.parentID = try parentID(object).map { Int64(bitPattern: $0.value) }
        span.name = try ZipkinJSONRead.string(object, "name") ?? ""
        span.timestamp = try ZipkinJSONRead.int64(object, "timestamp")
        span.duration = try ZipkinJSONRead.int64(object, "duration")
        span.debug = try ZipkinJSONRead.bool(object, "debug") ?? false

        let annotations = try ZipkinJSONRead.array(object, "annotations") ?? []
        span.annotations.reserveCapacity(annotations.count)
        for (index, annotation) in annotations.enumerated() {
            do throws(ZipkinError) {
                guard case .object = annotation else {
                    throw .wrongJSONType(path: "", expected: "an annotation object")
                }
                span.annotations.append(
                    ZipkinV1Annotation(
                        timestamp: try ZipkinJSONRead.int64(annotation, "timestamp") ?? 0,
                        value: try ZipkinJSONRead.string(annotation, "value") ?? "",
                        host: try member(annotation, "endpoint") { value throws(ZipkinError) in try v1Endpoint(value) })
                )
            } catch {
                throw error.at("annotations[\(index)]")
            }
        }

        let binaryAnnotations = try ZipkinJSONRead.array(object, "binaryAnnotations") ?? []
        guard binaryAnnotations.count <= limits.maxTagsPerSpan else {
            throw .tooManyItems(path: "binaryAnnotations", count: binaryAnnotations.count, limit: limits.maxTagsPerSpan)
        }
        span.binaryAnnotations.reserveCapacity(binaryAnnotations.count)
        for (index, annotation) in binaryAnnotations.enumerated() {
            do throws(ZipkinError) {
                guard case .object = annotation else {
                    throw .wrongJSONType(path: "", expected: "a binary annotation object")
                }
                let (type, value) = try binaryValue(annotation)
                span.binaryAnnotations.append(
                    ZipkinV1BinaryAnnotation(
                        key: try ZipkinJSONRead.string(annotation, "key") ?? "", value: value, type: type,
                        host: try member(annotation, "endpoint") { value throws(ZipkinError) in try v1Endpoint(value) })
                )
            } catch {
                throw error.at("binaryAnnotations[\(index)]")
            }
        }
        return span
    }

    private static func v1Endpoint(_ object: JSONValue) throws(ZipkinError) -> ZipkinV1Endpoint {
        guard case .object = object else { throw .wrongJSONType(path: "", expected: "an endpoint object") }
        var endpoint = ZipkinV1Endpoint()
        endpoint.serviceName = try ZipkinJSONRead.string(object, "serviceName") ?? ""
        if let text = try ZipkinJSONRead.string(object, "ipv4"), !text.isEmpty {
            // Jaeger parses with Go's net.ParseIP(...).To4(), which also takes IPv4-mapped IPv6 text.
            var bytes = ZipkinIP.parseIPv4(text)
            if bytes == nil, let v6 = ZipkinIP.parseIPv6(text), v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xFF,
                v6[11] == 0xFF
            {
                bytes = Array(v6[12..<16])
            }
            guard let bytes else {
                throw .invalidValue(path: "ipv4", reason: "invalid IPv4 address \(text.debugDescription)")
            }
            endpoint.ipv4 = ZipkinIP.packed(bytes)
        }
        if let text = try ZipkinJSONRead.string(object, "ipv6"), !text.isEmpty {
            guard let bytes = ZipkinIP.parseIPv6(text) else {
                throw .invalidValue(path: "ipv6", reason: "invalid IPv6 address \(text.debugDescription)")
            }
            endpoint.ipv6 = bytes
        }
        endpoint.port = Int16(truncatingIfNeeded: try port(object))
        return endpoint
    }

    /// A binary annotation's value, encoded as zipkincore carries it (big-endian numbers, BOOL as one
    /// byte). With `type` absent the JSON kind decides: string → STRING, boolean → BOOL, integer →
    /// I64, other number → DOUBLE.
    private static func binaryValue(_ annotation: JSONValue) throws(ZipkinError) -> (Int32, [UInt8]) {
        let value = annotation["value"] ?? .null
        let typeName = try ZipkinJSONRead.string(annotation, "type")?.uppercased()
        func bigEndian<T: FixedWidthInteger>(_ number: T) -> [UInt8] {
            withUnsafeBytes(of: number.bigEndian) { Array($0) }
        }
        func integer<T: FixedWidthInteger>(_: T.Type) throws(ZipkinError) -> T {
            var text: String?
            switch value {
            case .number(let number): text = number
            case .string(let string): text = string
            default: break
            }
            guard let text, let number = ZipkinJSONRead.integer(text), let exact = T(exactly: number) else {
                throw .invalidValue(path: "value", reason: "not an \(typeName ?? "integer") value")
            }
            return exact
        }
        switch typeName {
        case nil:
            switch value {
            case .string(let text): return (ZipkinAnnotationType.string, Array(text.utf8))
            case .bool(let flag): return (ZipkinAnnotationType.bool, [flag ? 1 : 0])
            case .null: return (ZipkinAnnotationType.string, [])
            case .number(let text):
                if let number = Int64(text) { return (ZipkinAnnotationType.i64, bigEndian(number)) }
                return (ZipkinAnnotationType.double, bigEndian((Double(text) ?? 0).bitPattern))
            case .array, .object:
                throw .wrongJSONType(path: "value", expected: "a string, number or boolean")
            }
        case "STRING":
            switch value {
            case .string(let text): return (ZipkinAnnotationType.string, Array(text.utf8))
            case .number(let text): return (ZipkinAnnotationType.string, Array(text.utf8))
            case .bool(let flag): return (ZipkinAnnotationType.string, Array((flag ? "true" : "false").utf8))
            case .null: return (ZipkinAnnotationType.string, [])
            case .array, .object: throw .wrongJSONType(path: "value", expected: "a string")
            }
        case "BOOL":
            switch value {
            case .bool(let flag): return (ZipkinAnnotationType.bool, [flag ? 1 : 0])
            case .string(let text) where ["true", "false"].contains(text.lowercased()):
                return (ZipkinAnnotationType.bool, [text.lowercased() == "true" ? 1 : 0])
            default: throw .wrongJSONType(path: "value", expected: "true or false")
            }
        case "I16": return (ZipkinAnnotationType.i16, bigEndian(try integer(Int16.self)))
        case "I32": return (ZipkinAnnotationType.i32, bigEndian(try integer(Int32.self)))
        case "I64": return (ZipkinAnnotationType.i64, bigEndian(try integer(Int64.self)))
        case "DOUBLE":
            var number: Double?
            switch value {
            case .number(let text), .string(let text): number = Double(text)
            default: break
            }
            guard let number else { throw .wrongJSONType(path: "value", expected: "a number") }
            return (ZipkinAnnotationType.double, bigEndian(number.bitPattern))
        case "BYTES":
            guard case .string(let text) = value, let bytes = Data(base64Encoded: text) else {
                throw .invalidValue(path: "value", reason: "BYTES value must be base64 text")
            }
            return (ZipkinAnnotationType.bytes, [UInt8](bytes))
        case let other?:
            throw .invalidValue(path: "type", reason: "unknown annotation type \(other.debugDescription)")
        }
    }

    // MARK: Shared

    /// The top-level span array of both APIs: bounded by `maxSpansPerBatch`, `null` elements skipped, and an
    /// element's error prefixed with its index.
    private static func spans<T>(
        _ root: JSONValue, limits: DecodingLimits, _ decode: (JSONValue) throws(ZipkinError) -> T
    ) throws(ZipkinError) -> [T] {
        guard case .array(let items) = root else { throw .wrongJSONType(path: "", expected: "an array of spans") }
        guard items.count <= limits.maxSpansPerBatch else {
            throw .tooManySpans(count: items.count, limit: limits.maxSpansPerBatch)
        }
        var spans: [T] = []
        spans.reserveCapacity(items.count)
        for (index, item) in items.enumerated() where item != .null {
            do throws(ZipkinError) {
                spans.append(try decode(item))
            } catch {
                throw error.at("[\(index)]")
            }
        }
        return spans
    }

    private static func traceID(_ object: JSONValue) throws(ZipkinError) -> TraceID {
        guard let text = try ZipkinJSONRead.string(object, "traceId") else { throw .missingField(path: "traceId") }
        guard let id = TraceID(hex: text) else {
            throw .invalidValue(path: "traceId", reason: "\(text.debugDescription) is not 16 or 32 hex digits")
        }
        return id
    }

    private static func spanID(_ object: JSONValue, _ key: String) throws(ZipkinError) -> SpanID {
        guard let text = try ZipkinJSONRead.string(object, key) else { throw .missingField(path: key) }
        guard let id = SpanID(hex: text) else {
            throw .invalidValue(path: key, reason: "\(text.debugDescription) is not 16 hex digits")
        }
        return id
    }

    /// `parentId`: absent, null or "" mean no parent.
    private static func parentID(_ object: JSONValue) throws(ZipkinError) -> SpanID? {
        guard let text = try ZipkinJSONRead.string(object, "parentId"), !text.isEmpty else { return nil }
        return try spanID(object, "parentId")
    }

    private static func port(_ object: JSONValue) throws(ZipkinError) -> Int {
        guard let port = try ZipkinJSONRead.int64(object, "port") else { return 0 }
        guard (0...65_535).contains(port) else {
            throw .invalidValue(path: "port", reason: "port \(port) is out of range")
        }
        return Int(port)
    }

    /// Reads an optional object member with `read`, prefixing errors with the member's name.
    private static func member<T>(
        _ object: JSONValue, _ key: String, _ read: (JSONValue) throws(ZipkinError) -> T
    ) throws(ZipkinError) -> T? {
        guard let value = object[key] else { return nil }
        do throws(ZipkinError) {
            return try read(value)
        } catch {
            throw error.at(key)
        }
    }
}
