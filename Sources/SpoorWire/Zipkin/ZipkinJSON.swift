import SpoorModel

/// One member of a JSON object.
struct JSONMember: Equatable {
    var key: String
    var value: JSONValue
}

/// A parsed JSON value. Objects keep their members in document order (tags and log fields keep the
/// order the client wrote them); a repeated key appears twice and lookups take the last, as Go does.
indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    /// The number's text, exactly as written (it is valid JSON number syntax).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The last member named `key` of an object; nil for other values, absent keys and `null`.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        guard let value = members.last(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    /// Compact JSON text of the value (strings escaped as JSON requires).
    var jsonText: String {
        var out = ""
        render(into: &out)
        return out
    }

    private func render(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): Self.renderString(text, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.render(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                Self.renderString(member.key, into: &out)
                out += ":"
                member.value.render(into: &out)
            }
            out += "}"
        }
    }

    private static func renderString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// A strict RFC 8259 parser over untrusted bytes, bounded by `DecodingLimits`.
///
/// Nesting is capped at `maxDepth`, each string at `maxStringBytes` (after unescaping) and each
/// array or object at `maxListElements` members, so no input makes it recurse or allocate beyond
/// what the limits and the body size allow. Invalid UTF-8 inside strings is repaired with U+FFFD;
/// lone surrogate escapes become U+FFFD too.
struct ZipkinJSONParser {
    private let bytes: [UInt8]
    private let limits: DecodingLimits
    private var index = 0
    private var depth = 0

    private init(bytes: [UInt8], limits: DecodingLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Parses one JSON document; only whitespace may follow it.
    static func parse(_ bytes: [UInt8], limits: DecodingLimits) throws(ZipkinError) -> JSONValue {
        var parser = ZipkinJSONParser(bytes: bytes, limits: limits)
        parser.skipWhitespace()
        guard parser.index < bytes.count else { throw .malformedJSON(reason: "empty body", offset: 0) }
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected data after the JSON value") }
        return value
    }

    /// Parses `text` as a JSON document, or returns nil when it is not one (annotation values).
    static func parseIfJSON(_ text: String, limits: DecodingLimits) -> JSONValue? {
        try? parse(Array(text.utf8), limits: limits)
    }

    private func failure(_ reason: String) -> ZipkinError {
        .malformedJSON(reason: reason, offset: index)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value() throws(ZipkinError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), 0x30...0x39: return .number(try number())
        default: throw failure("unexpected character '\(Self.printable(bytes[index]))'")
        }
    }

    private mutating func literal(_ word: StaticString, _ result: JSONValue) throws(ZipkinError) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw failure("invalid literal") }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw failure("invalid literal") }
        index += count
        return result
    }

    private mutating func enter() throws(ZipkinError) {
        guard depth < limits.maxDepth else { throw .nestingTooDeep(limit: limits.maxDepth) }
        depth += 1
    }

    private mutating func object() throws(ZipkinError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure("expected a member name")
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            guard members.count < limits.maxListElements else {
                throw .tooManyItems(path: "", count: members.count + 1, limit: limits.maxListElements)
            }
            members.append(JSONMember(key: key, value: try value()))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            } else {
                throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func array() throws(ZipkinError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            guard items.count < limits.maxListElements else {
                throw .tooManyItems(path: "", count: items.count + 1, limit: limits.maxListElements)
            }
            items.append(try value())
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            } else {
                throw failure("expected ',' or ']'")
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as written.
    private mutating func number() throws(ZipkinError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw failure("invalid number") }
        if bytes[index] == 0x30 {
            index += 1
        } else {
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        guard index - start <= 400 else { throw failure("number too long") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func string() throws(ZipkinError) -> String {
        let quote = index
        index += 1
        var start = index
        var out: [UInt8] = []
        var escaped = false
        while true {
            guard index < bytes.count else {
                index = quote
                throw failure("unterminated string")
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                break
            } else if byte == UInt8(ascii: "\\") {
                if !escaped {
                    escaped = true
                    out.reserveCapacity(min(index - start + 16, limits.maxStringBytes))
                }
                out.append(contentsOf: bytes[start..<index])
                try unescape(into: &out)
                start = index
            } else if byte < 0x20 {
                throw failure("control character in string")
            } else {
                index += 1
            }
            let length = escaped ? out.count + (index - start) : index - start
            guard length <= limits.maxStringBytes else {
                throw .valueTooLarge(path: "", bytes: length, limit: limits.maxStringBytes)
            }
        }
        defer { index += 1 }
        if !escaped { return String(decoding: bytes[start..<index], as: UTF8.self) }
        out.append(contentsOf: bytes[start..<index])
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes the escape at `index` (which points at the backslash) and moves past it.
    private mutating func unescape(into out: inout [UInt8]) throws(ZipkinError) {
        do throws(JSONEscape.Failure) {
            index = try JSONEscape.decode(bytes, backslash: index, into: &out)
        } catch {
            switch error {
            case .unterminated: throw failure("unterminated escape")
            case .invalid: throw failure("invalid escape")
            case .invalidUnicode(let offset):
                index = offset
                throw failure("invalid \\u escape")
            }
        }
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + Hex.encode([byte])
    }
}

// MARK: - Typed reads

/// Reads members of decoded JSON objects with Zipkin's rules; errors name the member.
enum ZipkinJSONRead {
    /// An optional string member (`null` or absent is nil).
    static func string(_ object: JSONValue, _ key: String) throws(ZipkinError) -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let text) = value else { throw .wrongJSONType(path: key, expected: "a string") }
        return text
    }

    /// An optional boolean member.
    static func bool(_ object: JSONValue, _ key: String) throws(ZipkinError) -> Bool? {
        guard let value = object[key] else { return nil }
        guard case .bool(let flag) = value else { throw .wrongJSONType(path: key, expected: "true or false") }
        return flag
    }

    /// An optional integer member (`1e3` and `1000.0` count; fractions do not).
    static func int64(_ object: JSONValue, _ key: String) throws(ZipkinError) -> Int64? {
        guard let value = object[key] else { return nil }
        guard case .number(let text) = value, let number = integer(text) else {
            throw .wrongJSONType(path: key, expected: "an integer")
        }
        return number
    }

    /// An optional non-negative integer member.
    static func uint64(_ object: JSONValue, _ key: String) throws(ZipkinError) -> UInt64? {
        guard let value = object[key] else { return nil }
        guard case .number(let text) = value else { throw .wrongJSONType(path: key, expected: "an integer") }
        if let number = UInt64(text) { return number }
        guard let number = integer(text) else { throw .wrongJSONType(path: key, expected: "an integer") }
        guard number >= 0 else { throw .invalidValue(path: key, reason: "must not be negative") }
        return UInt64(number)
    }

    /// An optional array member.
    static func array(_ object: JSONValue, _ key: String) throws(ZipkinError) -> [JSONValue]? {
        guard let value = object[key] else { return nil }
        guard case .array(let items) = value else { throw .wrongJSONType(path: key, expected: "an array") }
        return items
    }

    /// The exact integer a JSON number denotes, if it is one that fits in Int64.
    static func integer(_ text: String) -> Int64? {
        if let exact = Int64(text) { return exact }
        guard let double = Double(text), double.isFinite, double == double.rounded(),
            double >= -9.223_372_036_854_775_808e18, double < 9.223_372_036_854_775_808e18
        else { return nil }
        return Int64(double)
    }
}
