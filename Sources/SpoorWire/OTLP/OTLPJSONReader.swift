import Foundation
import NIOCore
import SpoorModel

/// Reads an OTLP/JSON `ExportTraceServiceRequest` (spec/ingest.md §3.4) into the generated messages.
///
/// Foundation's `JSONSerialization` parses the text; this type walks the resulting tree by hand:
/// - keys in lowerCamelCase or snake_case (`traceId` / `trace_id`); unknown keys are ignored,
///   `null` means absent;
/// - ids as hex strings, any case, `""` for absent; `bytesValue` as base64 (standard or URL alphabet);
/// - enums as numbers or names (`2` or `"SPAN_KIND_SERVER"`);
/// - 64-bit integers as decimal strings or numbers; doubles as numbers or `"NaN"`, `"Infinity"`,
///   `"-Infinity"` (or a numeric string);
/// - any other kind of value for a known key is an error.
///
/// `JSONSerialization` returns `true`/`false` as NSNumber too; they are told apart from numbers by
/// their `objCType` (`c`), which no JSON number gets, so `1` is never read as a bool or vice versa.
struct OTLPJSONReader {
    let limits: OTLPLimits
    private var spanCount = 0

    private init(limits: OTLPLimits) { self.limits = limits }

    static func request(from body: ByteBuffer, limits: OTLPLimits) throws(OTLPError) -> OTLPExportRequest {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [])
        } catch {
            throw .malformedJSON(describe(error))
        }
        var reader = OTLPJSONReader(limits: limits)
        return try reader.request(root)
    }

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let detail = nsError.userInfo[NSDebugDescriptionErrorKey] as? String, !detail.isEmpty {
            return detail
        }
        return "the body is not valid JSON"
    }

    // MARK: Messages

    private mutating func request(_ root: Any) throws(OTLPError) -> OTLPExportRequest {
        let object = try Self.object(root)
        var request = OTLPExportRequest()
        request.resourceSpans = try list(object, Key.resourceSpans) { (reader, item) throws(OTLPError) in
            try reader.resourceSpans(item)
        }
        return request
    }

    private mutating func resourceSpans(_ value: Any) throws(OTLPError) -> OTLPResourceSpans {
        let object = try Self.object(value)
        var message = OTLPResourceSpans()
        if let resource = Self.member(object, Key.resource) {
            do throws(OTLPError) {
                message.resource = try self.resource(resource)
            } catch {
                throw error.at(Key.resource.camel)
            }
        }
        message.scopeSpans = try list(object, Key.scopeSpans) { (reader, item) throws(OTLPError) in
            try reader.scopeSpans(item)
        }
        message.schemaURL = try Self.string(object, Key.schemaURL) ?? ""
        return message
    }

    private mutating func resource(_ value: Any) throws(OTLPError) -> OTLPResource {
        let object = try Self.object(value)
        var message = OTLPResource()
        message.attributes = try keyValues(object, Key.attributes)
        message.droppedAttributesCount = try Self.uint32(object, Key.droppedAttributesCount) ?? 0
        return message
    }

    private mutating func scopeSpans(_ value: Any) throws(OTLPError) -> OTLPScopeSpans {
        let object = try Self.object(value)
        var message = OTLPScopeSpans()
        if let scope = Self.member(object, Key.scope) {
            do throws(OTLPError) {
                message.scope = try self.scope(scope)
            } catch {
                throw error.at(Key.scope.camel)
            }
        }
        if let spans = Self.member(object, Key.spans) {
            let count = (spans as? [Any])?.count ?? 0
            let (total, overflow) = spanCount.addingReportingOverflow(count)
            guard !overflow, total <= limits.maxSpansPerRequest else {
                throw .tooManySpans(count: total, limit: limits.maxSpansPerRequest)
            }
        }
        message.spans = try list(object, Key.spans) { (reader, item) throws(OTLPError) in
            try reader.span(item)
        }
        spanCount += message.spans.count
        message.schemaURL = try Self.string(object, Key.schemaURL) ?? ""
        return message
    }

    private mutating func scope(_ value: Any) throws(OTLPError) -> OTLPScope {
        let object = try Self.object(value)
        var message = OTLPScope()
        message.name = try Self.string(object, Key.name) ?? ""
        message.version = try Self.string(object, Key.version) ?? ""
        message.attributes = try keyValues(object, Key.attributes)
        message.droppedAttributesCount = try Self.uint32(object, Key.droppedAttributesCount) ?? 0
        return message
    }

    private mutating func span(_ value: Any) throws(OTLPError) -> OTLPSpan {
        let object = try Self.object(value)
        var span = OTLPSpan()
        span.traceID = try Self.hexID(object, Key.traceID)
        span.spanID = try Self.hexID(object, Key.spanID)
        span.traceState = try Self.string(object, Key.traceState) ?? ""
        span.parentSpanID = try Self.hexID(object, Key.parentSpanID)
        span.flags = try Self.uint32(object, Key.flags) ?? 0
        span.name = try Self.string(object, Key.name) ?? ""
        if let kind = try Self.enumValue(object, Key.kind, names: Self.spanKindNames) {
            span.kind = OTLPSpan.SpanKind(rawValue: kind) ?? .UNRECOGNIZED(kind)
        }
        span.startTimeUnixNano = try Self.uint64(object, Key.startTimeUnixNano) ?? 0
        span.endTimeUnixNano = try Self.uint64(object, Key.endTimeUnixNano) ?? 0
        span.attributes = try keyValues(object, Key.attributes)
        span.droppedAttributesCount = try Self.uint32(object, Key.droppedAttributesCount) ?? 0
        span.events = try list(object, Key.events, limit: limits.maxEventsPerSpan) {
            (reader, item) throws(OTLPError) in try reader.event(item)
        }
        span.droppedEventsCount = try Self.uint32(object, Key.droppedEventsCount) ?? 0
        span.links = try list(object, Key.links, limit: limits.maxLinksPerSpan) {
            (reader, item) throws(OTLPError) in try reader.link(item)
        }
        span.droppedLinksCount = try Self.uint32(object, Key.droppedLinksCount) ?? 0
        if let status = Self.member(object, Key.status) {
            do throws(OTLPError) {
                span.status = try self.status(status)
            } catch {
                throw error.at(Key.status.camel)
            }
        }
        return span
    }

    private mutating func event(_ value: Any) throws(OTLPError) -> OTLPSpan.Event {
        let object = try Self.object(value)
        var event = OTLPSpan.Event()
        event.timeUnixNano = try Self.uint64(object, Key.timeUnixNano) ?? 0
        event.name = try Self.string(object, Key.name) ?? ""
        event.attributes = try keyValues(object, Key.attributes)
        event.droppedAttributesCount = try Self.uint32(object, Key.droppedAttributesCount) ?? 0
        return event
    }

    private mutating func link(_ value: Any) throws(OTLPError) -> OTLPSpan.Link {
        let object = try Self.object(value)
        var link = OTLPSpan.Link()
        link.traceID = try Self.hexID(object, Key.traceID)
        link.spanID = try Self.hexID(object, Key.spanID)
        link.traceState = try Self.string(object, Key.traceState) ?? ""
        link.attributes = try keyValues(object, Key.attributes)
        link.droppedAttributesCount = try Self.uint32(object, Key.droppedAttributesCount) ?? 0
        link.flags = try Self.uint32(object, Key.flags) ?? 0
        return link
    }

    private func status(_ value: Any) throws(OTLPError) -> OTLPStatus {
        let object = try Self.object(value)
        var status = OTLPStatus()
        status.message = try Self.string(object, Key.message) ?? ""
        if let code = try Self.enumValue(object, Key.code, names: Self.statusCodeNames) {
            status.code = OTLPStatus.StatusCode(rawValue: code) ?? .UNRECOGNIZED(code)
        }
        return status
    }

    // MARK: Attributes

    private mutating func keyValues(_ object: [String: Any], _ key: Key) throws(OTLPError) -> [OTLPKeyValue] {
        try list(object, key, limit: limits.maxAttributesPerSpan) { (reader, item) throws(OTLPError) in
            try reader.keyValue(item, depth: 0)
        }
    }

    private mutating func keyValue(_ value: Any, depth: Int) throws(OTLPError) -> OTLPKeyValue {
        let object = try Self.object(value)
        var keyValue = OTLPKeyValue()
        keyValue.key = try Self.string(object, Key.key) ?? ""
        if let member = Self.member(object, Key.value) {
            do throws(OTLPError) {
                keyValue.value = try anyValue(member, depth: depth)
            } catch {
                throw error.at(Key.value.camel)
            }
        }
        return keyValue
    }

    /// `depth` counts the arrays/kvlists around this value; the converter applies the same rule.
    private mutating func anyValue(_ value: Any, depth: Int) throws(OTLPError) -> OTLPAnyValue {
        let object = try Self.object(value)
        var result = OTLPAnyValue()
        var found: Key?
        func claim(_ key: Key) throws(OTLPError) {
            if let first = found {
                throw .invalidValue(path: key.camel, reason: "only one of \(first.camel) and \(key.camel) may be set")
            }
            found = key
        }
        if let text = try Self.string(object, Key.stringValue) {
            try claim(Key.stringValue)
            result.value = .stringValue(text)
        }
        if let flag = try Self.bool(object, Key.boolValue) {
            try claim(Key.boolValue)
            result.value = .boolValue(flag)
        }
        if let number = try Self.int64(object, Key.intValue) {
            try claim(Key.intValue)
            result.value = .intValue(number)
        }
        if let number = try Self.double(object, Key.doubleValue) {
            try claim(Key.doubleValue)
            result.value = .doubleValue(number)
        }
        if let bytes = try Self.base64(object, Key.bytesValue, limit: limits.maxAttributeValueBytes) {
            try claim(Key.bytesValue)
            result.value = .bytesValue(bytes)
        }
        if let array = Self.member(object, Key.arrayValue) {
            try claim(Key.arrayValue)
            try checkDepth(depth, field: Key.arrayValue)
            let values = try Self.object(array, path: Key.arrayValue.camel)
            var message = OTLPArrayValue()
            do throws(OTLPError) {
                message.values = try list(values, Key.values, limit: limits.maxAttributesPerSpan) {
                    (reader, item) throws(OTLPError) in try reader.anyValue(item, depth: depth + 1)
                }
            } catch {
                throw error.at(Key.arrayValue.camel)
            }
            result.value = .arrayValue(message)
        }
        if let list = Self.member(object, Key.kvlistValue) {
            try claim(Key.kvlistValue)
            try checkDepth(depth, field: Key.kvlistValue)
            let values = try Self.object(list, path: Key.kvlistValue.camel)
            var message = OTLPKeyValueList()
            do throws(OTLPError) {
                message.values = try self.list(values, Key.values, limit: limits.maxAttributesPerSpan) {
                    (reader, item) throws(OTLPError) in try reader.keyValue(item, depth: depth + 1)
                }
            } catch {
                throw error.at(Key.kvlistValue.camel)
            }
            result.value = .kvlistValue(message)
        }
        return result
    }

    private func checkDepth(_ depth: Int, field: Key) throws(OTLPError) {
        guard depth < limits.maxAnyValueDepth else {
            throw .nestingTooDeep(path: field.camel, limit: limits.maxAnyValueDepth)
        }
    }

    // MARK: Lists

    /// Reads an optional JSON array member, checking its length before converting any element.
    private mutating func list<Element>(
        _ object: [String: Any], _ key: Key, limit: Int = .max,
        _ element: (inout OTLPJSONReader, Any) throws(OTLPError) -> Element
    ) throws(OTLPError) -> [Element] {
        guard let member = Self.member(object, key) else { return [] }
        guard let items = member as? [Any] else { throw .wrongJSONType(path: key.camel, expected: "an array") }
        guard items.count <= limit else { throw .tooManyItems(path: key.camel, count: items.count, limit: limit) }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do throws(OTLPError) {
                out.append(try element(&self, item))
            } catch {
                throw error.at("\(key.camel)[\(index)]")
            }
        }
        return out
    }

    // MARK: Scalars

    private static func object(_ value: Any, path: String = "") throws(OTLPError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw .wrongJSONType(path: path, expected: "an object") }
        return object
    }

    /// The member under either spelling; `null` counts as absent.
    private static func member(_ object: [String: Any], _ key: Key) -> Any? {
        let value = object[key.camel] ?? object[key.snake]
        if value is NSNull { return nil }
        return value
    }

    /// True for the NSNumbers JSONSerialization makes from `true` and `false`.
    private static func isBool(_ number: NSNumber) -> Bool {
        number.objCType.pointee == CChar(UInt8(ascii: "c"))
    }

    private static func isFloatingPoint(_ number: NSNumber) -> Bool {
        let type = number.objCType.pointee
        return type == CChar(UInt8(ascii: "d")) || type == CChar(UInt8(ascii: "f"))
    }

    private static func string(_ object: [String: Any], _ key: Key) throws(OTLPError) -> String? {
        guard let value = member(object, key) else { return nil }
        guard let text = value as? String else { throw .wrongJSONType(path: key.camel, expected: "a string") }
        return text
    }

    private static func bool(_ object: [String: Any], _ key: Key) throws(OTLPError) -> Bool? {
        guard let value = member(object, key) else { return nil }
        guard !(value is String), let number = value as? NSNumber, isBool(number) else {
            throw .wrongJSONType(path: key.camel, expected: "true or false")
        }
        return number.boolValue
    }

    private static func int64(_ object: [String: Any], _ key: Key) throws(OTLPError) -> Int64? {
        guard let value = member(object, key) else { return nil }
        if let text = value as? String {
            if let number = Int64(text) ?? integralDouble(text).flatMap({ Int64(exactly: $0) }) { return number }
            throw .invalidValue(path: key.camel, reason: "\"\(prefix(text))\" is not a 64-bit integer")
        }
        guard let number = value as? NSNumber, !isBool(number) else {
            throw .wrongJSONType(path: key.camel, expected: "an integer or a decimal string")
        }
        let result: Int64?
        if isFloatingPoint(number) {
            result = Int64(exactly: number.doubleValue)
        } else if number.objCType.pointee == CChar(UInt8(ascii: "Q")) {
            result = Int64(exactly: number.uint64Value)
        } else {
            result = number.int64Value
        }
        guard let result else { throw .invalidValue(path: key.camel, reason: "\(number) is not a 64-bit integer") }
        return result
    }

    private static func uint64(_ object: [String: Any], _ key: Key) throws(OTLPError) -> UInt64? {
        guard let value = member(object, key) else { return nil }
        if let text = value as? String {
            if let number = UInt64(text) ?? integralDouble(text).flatMap({ UInt64(exactly: $0) }) { return number }
            throw .invalidValue(path: key.camel, reason: "\"\(prefix(text))\" is not an unsigned 64-bit integer")
        }
        guard let number = value as? NSNumber, !isBool(number) else {
            throw .wrongJSONType(path: key.camel, expected: "an unsigned integer or a decimal string")
        }
        let result: UInt64?
        if isFloatingPoint(number) {
            result = UInt64(exactly: number.doubleValue)
        } else if number.objCType.pointee == CChar(UInt8(ascii: "Q")) {
            result = number.uint64Value
        } else {
            result = UInt64(exactly: number.int64Value)
        }
        guard let result else {
            throw .invalidValue(path: key.camel, reason: "\(number) is not an unsigned 64-bit integer")
        }
        return result
    }

    private static func uint32(_ object: [String: Any], _ key: Key) throws(OTLPError) -> UInt32? {
        guard let wide = try uint64(object, key) else { return nil }
        guard let number = UInt32(exactly: wide) else {
            throw .invalidValue(path: key.camel, reason: "\(wide) does not fit in 32 bits")
        }
        return number
    }

    private static func double(_ object: [String: Any], _ key: Key) throws(OTLPError) -> Double? {
        guard let value = member(object, key) else { return nil }
        if let text = value as? String {
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default:
                if let number = decimalDouble(text) { return number }
                throw .invalidValue(path: key.camel, reason: "\"\(prefix(text))\" is not a number")
            }
        }
        guard let number = value as? NSNumber, !isBool(number) else {
            throw .wrongJSONType(path: key.camel, expected: "a number")
        }
        return number.doubleValue
    }

    /// Numeric enum values must fit in 32 bits; names must be in `names`.
    private static func enumValue(
        _ object: [String: Any], _ key: Key, names: [String: Int]
    ) throws(OTLPError) -> Int? {
        guard let value = member(object, key) else { return nil }
        if let name = value as? String {
            guard let number = names[name] else {
                throw .invalidValue(path: key.camel, reason: "unknown enum name \"\(prefix(name))\"")
            }
            return number
        }
        guard let number = try int64(object, key), let small = Int32(exactly: number) else {
            throw .invalidValue(path: key.camel, reason: "enum value out of range")
        }
        return Int(small)
    }

    /// Hex text (any case) to bytes; `""` is absent. The converter checks the byte length.
    private static func hexID(_ object: [String: Any], _ key: Key) throws(OTLPError) -> Data {
        guard let text = try string(object, key), !text.isEmpty else { return Data() }
        guard text.utf8.count <= 64, let bytes = Hex.decode(text) else {
            throw .invalidValue(path: key.camel, reason: "\"\(prefix(text))\" is not an even-length hex id")
        }
        return Data(bytes)
    }

    /// Standard or URL-safe base64, padding optional; the decoded size is checked against `limit`.
    private static func base64(_ object: [String: Any], _ key: Key, limit: Int) throws(OTLPError) -> Data? {
        guard let text = try string(object, key) else { return nil }
        var characters = Array(text.utf8)
        let estimate = characters.count / 4 * 3
        guard estimate <= limit else { throw .valueTooLarge(path: key.camel, bytes: estimate, limit: limit) }
        while characters.last == UInt8(ascii: "=") { characters.removeLast() }
        for index in characters.indices {
            if characters[index] == UInt8(ascii: "-") { characters[index] = UInt8(ascii: "+") }
            if characters[index] == UInt8(ascii: "_") { characters[index] = UInt8(ascii: "/") }
        }
        while characters.count % 4 != 0 { characters.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(characters)) else {
            throw .invalidValue(path: key.camel, reason: "not valid base64")
        }
        guard data.count <= limit else { throw .valueTooLarge(path: key.camel, bytes: data.count, limit: limit) }
        return data
    }

    /// A decimal number in text (digits, sign, point, exponent only: no hex floats or "inf").
    private static func decimalDouble(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.count <= 64,
            text.utf8.allSatisfy({ (0x30...0x39).contains($0) || "+-.eE".utf8.contains($0) })
        else { return nil }
        return Double(text)
    }

    /// A decimal text whose value is a whole number (`"1e3"`, `"12.0"`).
    private static func integralDouble(_ text: String) -> Double? {
        guard let number = decimalDouble(text), number.rounded(.towardZero) == number else { return nil }
        return number
    }

    /// Input echoed in an error message is cut to a readable size.
    private static func prefix(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }

    static let spanKindNames: [String: Int] = [
        "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
        "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
    ]

    static let statusCodeNames: [String: Int] = [
        "STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
    ]
}

/// A JSON member name in both accepted spellings.
private struct Key {
    let camel: String
    let snake: String

    init(_ camel: String, _ snake: String? = nil) {
        self.camel = camel
        self.snake = snake ?? camel
    }

    static let resourceSpans = Key("resourceSpans", "resource_spans")
    static let resource = Key("resource")
    static let scopeSpans = Key("scopeSpans", "scope_spans")
    static let schemaURL = Key("schemaUrl", "schema_url")
    static let scope = Key("scope")
    static let spans = Key("spans")
    static let name = Key("name")
    static let version = Key("version")
    static let attributes = Key("attributes")
    static let droppedAttributesCount = Key("droppedAttributesCount", "dropped_attributes_count")
    static let droppedEventsCount = Key("droppedEventsCount", "dropped_events_count")
    static let droppedLinksCount = Key("droppedLinksCount", "dropped_links_count")
    static let traceID = Key("traceId", "trace_id")
    static let spanID = Key("spanId", "span_id")
    static let parentSpanID = Key("parentSpanId", "parent_span_id")
    static let traceState = Key("traceState", "trace_state")
    static let flags = Key("flags")
    static let kind = Key("kind")
    static let startTimeUnixNano = Key("startTimeUnixNano", "start_time_unix_nano")
    static let endTimeUnixNano = Key("endTimeUnixNano", "end_time_unix_nano")
    static let timeUnixNano = Key("timeUnixNano", "time_unix_nano")
    static let events = Key("events")
    static let links = Key("links")
    static let status = Key("status")
    static let message = Key("message")
    static let code = Key("code")
    static let key = Key("key")
    static let value = Key("value")
    static let values = Key("values")
    static let stringValue = Key("stringValue", "string_value")
    static let boolValue = Key("boolValue", "bool_value")
    static let intValue = Key("intValue", "int_value")
    static let doubleValue = Key("doubleValue", "double_value")
    static let arrayValue = Key("arrayValue", "array_value")
    static let kvlistValue = Key("kvlistValue", "kvlist_value")
    static let bytesValue = Key("bytesValue", "bytes_value")
}
