import SpoorModel

/// A streaming JSON writer that appends UTF-8 bytes to a buffer, keys in the order written.
///
/// Output is deterministic: the same calls give the same bytes. Compact output has no spaces;
/// pretty output indents with four spaces and writes `"key": value`, as Jaeger's `prettyPrint` does.
/// Empty arrays and objects are written `[]` and `{}` in both modes.
///
/// ```swift
/// var w = JSONWriter()
/// w.beginObject()
/// w.key("data"); w.beginArray(); w.string("a"); w.endArray()
/// w.key("total"); w.int(1)
/// w.endObject()
/// // {"data":["a"],"total":1}
/// ```
///
/// The caller keeps calls balanced (a key before each object member, `end` for each `begin`);
/// the writer does not validate structure, so an unbalanced sequence gives malformed JSON, never a trap.
package struct JSONWriter: Sendable {
    /// The bytes written so far.
    package private(set) var bytes: [UInt8]
    /// Whether to indent.
    package let pretty: Bool

    /// One entry per open container: true once it holds an element.
    private var hasElements: [Bool] = []
    /// True right after `key(_:)`, when the next value continues the same line.
    private var afterKey = false

    /// Creates an empty writer.
    /// - Parameters:
    ///   - pretty: indent with four spaces and one member per line.
    ///   - capacity: initial buffer capacity in bytes.
    package init(pretty: Bool = false, capacity: Int = 1024) {
        self.pretty = pretty
        self.bytes = []
        self.bytes.reserveCapacity(max(0, capacity))
    }

    // MARK: Containers

    /// Opens an object (`{`).
    package mutating func beginObject() {
        valuePrefix()
        bytes.append(UInt8(ascii: "{"))
        hasElements.append(false)
    }

    /// Closes the innermost object (`}`).
    package mutating func endObject() {
        closeContainer(UInt8(ascii: "}"))
    }

    /// Opens an array (`[`).
    package mutating func beginArray() {
        valuePrefix()
        bytes.append(UInt8(ascii: "["))
        hasElements.append(false)
    }

    /// Closes the innermost array (`]`).
    package mutating func endArray() {
        closeContainer(UInt8(ascii: "]"))
    }

    /// Writes an object member name; the next call writes its value.
    package mutating func key(_ name: String) {
        elementPrefix()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(UInt8(ascii: " ")) }
        afterKey = true
    }

    // MARK: Scalars

    /// Writes a JSON string, escaping quotes, backslashes and control characters.
    package mutating func string(_ value: String) {
        valuePrefix()
        appendQuoted(value)
    }

    /// Writes a signed integer.
    package mutating func int(_ value: Int64) {
        valuePrefix()
        appendDecimal(value)
    }

    /// Writes a signed integer.
    package mutating func int(_ value: Int) {
        int(Int64(value))
    }

    /// Writes an unsigned integer.
    package mutating func uint(_ value: UInt64) {
        valuePrefix()
        appendDecimal(value)
    }

    /// Writes a double in shortest round-trip form; NaN and ±infinity become the strings
    /// `"NaN"`, `"Infinity"` and `"-Infinity"` (JSON has no literal for them).
    package mutating func double(_ value: Double) {
        valuePrefix()
        if value.isFinite {
            bytes.append(contentsOf: FloatFormat.shortest(value).utf8)
        } else {
            appendQuoted(FloatFormat.shortest(value))
        }
    }

    /// Writes `true` or `false`.
    package mutating func bool(_ value: Bool) {
        valuePrefix()
        bytes.append(contentsOf: value ? Self.trueLiteral : Self.falseLiteral)
    }

    /// Writes `null`.
    package mutating func null() {
        valuePrefix()
        bytes.append(contentsOf: Self.nullLiteral)
    }

    /// Writes a string value whose content is already known to need no escaping
    /// (hex ids, base64, decimal digits); skips the escape scan.
    package mutating func plainString(_ asciiSafe: String) {
        valuePrefix()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: asciiSafe.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `[…]` of strings.
    package mutating func stringArray(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    // MARK: Layout

    private static let trueLiteral = Array("true".utf8)
    private static let falseLiteral = Array("false".utf8)
    private static let nullLiteral = Array("null".utf8)

    /// Separator and indentation before a value: none after a key, element prefix inside an array.
    private mutating func valuePrefix() {
        if afterKey {
            afterKey = false
        } else if !hasElements.isEmpty {
            elementPrefix()
        }
    }

    /// Comma (unless first) and, when pretty, a newline and indentation for the current depth.
    private mutating func elementPrefix() {
        guard let last = hasElements.indices.last else { return }
        if hasElements[last] { bytes.append(UInt8(ascii: ",")) }
        hasElements[last] = true
        if pretty { newline(depth: hasElements.count) }
    }

    private mutating func closeContainer(_ byte: UInt8) {
        let hadElements = hasElements.popLast() ?? false
        if pretty && hadElements { newline(depth: hasElements.count) }
        bytes.append(byte)
    }

    private mutating func newline(depth: Int) {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 4 * depth))
    }

    // MARK: Encoding

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `"value"`; valid UTF-8 passes through except U+2028/U+2029, escaped for JavaScript.
    private mutating func appendQuoted(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { utf8 in
            var runStart = 0
            var i = 0
            let count = utf8.count
            while i < count {
                let byte = utf8[i]
                let escape: UInt8?  // second byte of a two-byte escape, 0 for \u00XX
                var width = 1
                switch byte {
                case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
                case 0x0A: escape = UInt8(ascii: "n")
                case 0x0D: escape = UInt8(ascii: "r")
                case 0x09: escape = UInt8(ascii: "t")
                case 0x08: escape = UInt8(ascii: "b")
                case 0x0C: escape = UInt8(ascii: "f")
                case 0x00..<0x20: escape = 0
                case 0xE2 where i + 2 < count && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9):
                    escape = 0
                    width = 3
                default: escape = nil
                }
                guard let escape else {
                    i += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                bytes.append(UInt8(ascii: "\\"))
                if escape != 0 {
                    bytes.append(escape)
                } else if width == 3 {
                    // U+2028 LINE SEPARATOR / U+2029 PARAGRAPH SEPARATOR
                    bytes.append(contentsOf: Array("u202".utf8))
                    bytes.append(utf8[i + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                } else {
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0xF)])
                }
                i += width
                runStart = i
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude)
    }

    private mutating func appendDecimal(_ value: UInt64) {
        var divisor: UInt64 = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
