#if canImport(Glibc)
import Glibc
#endif

/// Why protobuf bytes could not be read, in the words SwiftProtobuf uses for the same faults.
enum ProtobufWireFault: String, Sendable {
    case truncated = "truncated message"
    case malformed = "malformed protobuf data"
    case invalidUTF8 = "string field is not valid UTF-8"
    case tooDeep = "messages nested too deeply"
}

/// The protobuf wire types.
enum ProtobufWire {
    static let varint: UInt8 = 0
    static let fixed64: UInt8 = 1
    static let lengthDelimited: UInt8 = 2
    static let startGroup: UInt8 = 3
    static let endGroup: UInt8 = 4
    static let fixed32: UInt8 = 5
}

/// An error type a `ProtobufCursor` can throw: each decoder reports wire faults as its own error.
protocol ProtobufFailure: Error {
    init(wire fault: ProtobufWireFault)
}

/// Bounds-checked protobuf wire reading over borrowed bytes, with the acceptance rules of
/// SwiftProtobuf's binary decoder, so that a hand-written decoder accepts exactly what the generated
/// messages accept.
///
/// ```
/// field    [tag: varint = field number << 3 | wire type][value]
/// wire 0   varint (at most 10 bytes)        wire 1   8 bytes little-endian
/// wire 2   [length: varint][bytes]          wire 5   4 bytes little-endian
/// wire 3   start of a group: fields up to the matching wire 4 (end group) tag
/// ```
/// - A tag is at most 5 bytes; a field number of 0, and wire types 6 and 7, are malformed.
/// - A varint's bits past the 64th are dropped (as SwiftProtobuf does); an 11th byte is malformed.
/// - Every length is checked against the bytes left in the enclosing message before it is used.
/// - Unknown fields, groups included, are skipped; each group level counts against `depthLimit` like a message.
///
/// The cursor never outlives the `withUnsafeBytes` closure that produced `bytes`.
struct ProtobufCursor<Failure: ProtobufFailure> {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Offset of the next byte to read.
    private(set) var index: Int
    /// Offset just past the message.
    let end: Int
    /// How deep this message is (the outermost is 1), and how deep messages and groups may go: SwiftProtobuf's
    /// `messageDepthLimit`, which counts each nested message and each unknown group level.
    let depth: Int
    let depthLimit: Int

    /// A cursor over `range` of `bytes`, a message at `depth`.
    init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, depth: Int, depthLimit: Int) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
        self.depth = depth
        self.depthLimit = depthLimit
    }

    /// A cursor over an embedded message's bytes, one level deeper.
    func nested(_ range: Range<Int>) -> ProtobufCursor {
        ProtobufCursor(bytes: bytes, range: range, depth: depth + 1, depthLimit: depthLimit)
    }

    /// The next field's number and wire type, or nil at the end of the message.
    @inline(__always)
    mutating func nextField() throws(Failure) -> (number: Int, wire: UInt8)? {
        guard index < end else { return nil }
        let first = bytes[index]
        if first & 0x80 == 0 {
            index &+= 1
            return try Self.checked(tag: UInt64(first))
        }
        // A tag takes at most 5 bytes, the last holding the top 4 bits of the field number.
        var tag = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        index &+= 1
        while true {
            guard index < end else { throw Failure(wire: .malformed) }
            let byte = bytes[index]
            index &+= 1
            if shift == 28, byte > 15 { throw Failure(wire: .malformed) }
            tag |= UInt64(byte & 0x7F) &<< shift
            if byte & 0x80 == 0 { return try Self.checked(tag: tag) }
            shift &+= 7
        }
    }

    @inline(__always)
    private static func checked(tag: UInt64) throws(Failure) -> (number: Int, wire: UInt8) {
        let wire = UInt8(truncatingIfNeeded: tag & 7)
        let number = tag >> 3
        guard wire <= 5, number >= 1, number <= 536_870_911 else { throw Failure(wire: .malformed) }
        return (Int(number), wire)
    }

    /// An unsigned varint; bits past the 64th are dropped.
    @inline(__always)
    mutating func varint() throws(Failure) -> UInt64 {
        guard index < end else { throw Failure(wire: .truncated) }
        var byte = bytes[index]
        index &+= 1
        if byte & 0x80 == 0 { return UInt64(byte) }
        var value = UInt64(byte & 0x7F)
        var shift: UInt64 = 7
        while true {
            guard index < end, shift <= 63 else { throw Failure(wire: .malformed) }
            byte = bytes[index]
            index &+= 1
            value |= UInt64(byte & 0x7F) &<< shift
            if byte & 0x80 == 0 { return value }
            shift &+= 7
        }
    }

    /// Eight little-endian bytes.
    @inline(__always)
    mutating func fixed64() throws(Failure) -> UInt64 {
        guard end &- index >= 8 else { throw Failure(wire: .truncated) }
        let value = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
        index &+= 8
        return UInt64(littleEndian: value)
    }

    /// Four little-endian bytes.
    @inline(__always)
    mutating func fixed32() throws(Failure) -> UInt32 {
        guard end &- index >= 4 else { throw Failure(wire: .truncated) }
        let value = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt32.self)
        index &+= 4
        return UInt32(littleEndian: value)
    }

    /// The byte range of a length-delimited value, after checking that it fits in the message.
    @inline(__always)
    mutating func lengthDelimited() throws(Failure) -> Range<Int> {
        let length = try varint()
        guard length < 0x7FFF_FFFF else { throw Failure(wire: .malformed) }
        guard length <= UInt64(end &- index) else { throw Failure(wire: .truncated) }
        let start = index
        index &+= Int(length)
        return start..<index
    }

    /// A length-delimited value as text; invalid UTF-8 is refused, as for any proto3 `string`.
    @inline(__always)
    mutating func string() throws(Failure) -> String {
        try text(lengthDelimited())
    }

    /// The bytes of `range` as text; invalid UTF-8 is refused.
    ///
    /// `String(validating:as:)` is generic and, unspecialized, looked up type metadata on every call (2% of ingest
    /// CPU); `String(decoding:as:)` over a buffer takes the standard library's fast path. It repairs instead of
    /// refusing, and a repair always changes the bytes, so text that is not plain ASCII is compared with its source.
    func text(_ range: Range<Int>) throws(Failure) -> String {
        if range.isEmpty { return "" }
        let source = UnsafeBufferPointer(rebasing: bytes[range])
        let text = String(decoding: source, as: UTF8.self)
        if Self.isASCII(source) { return text }
        var copy = text
        let same = copy.withUTF8 { decoded in
            decoded.count == source.count && memcmp(decoded.baseAddress!, source.baseAddress!, source.count) == 0
        }
        guard same else { throw Failure(wire: .invalidUTF8) }
        return text
    }

    @inline(__always)
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        var offset = 0
        var high: UInt64 = 0
        while offset + 8 <= raw.count {
            high |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < raw.count {
            high |= UInt64(raw[offset])
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Skips the value of the field just read (`number`, `wire`), groups included.
    mutating func skip(number: Int, wire: UInt8) throws(Failure) {
        try skip(number: number, wire: wire, groupDepth: 0)
    }

    private mutating func skip(number: Int, wire: UInt8, groupDepth: Int) throws(Failure) {
        switch wire {
        case ProtobufWire.varint: _ = try varint()
        case ProtobufWire.fixed64:
            guard end &- index >= 8 else { throw Failure(wire: .truncated) }
            index &+= 8
        case ProtobufWire.lengthDelimited:
            let length = try varint()
            guard length <= UInt64(end &- index) else { throw Failure(wire: .truncated) }
            index &+= Int(length)
        case ProtobufWire.fixed32:
            guard end &- index >= 4 else { throw Failure(wire: .truncated) }
            index &+= 4
        case ProtobufWire.startGroup:
            // Each group level counts against the depth limit, as a nested message does.
            guard depth + groupDepth + 1 <= depthLimit else { throw Failure(wire: .tooDeep) }
            while true {
                guard index < end else { throw Failure(wire: .truncated) }
                let inner = try groupTag()
                if inner.wire == ProtobufWire.endGroup {
                    guard inner.number == number else { throw Failure(wire: .malformed) }
                    return
                }
                try skip(number: inner.number, wire: inner.wire, groupDepth: groupDepth + 1)
            }
        default:
            // An end-group tag outside its group.
            throw Failure(wire: .malformed)
        }
    }

    /// A tag inside a group being skipped: a varint of up to 10 bytes below 2³², as SwiftProtobuf reads it there.
    private mutating func groupTag() throws(Failure) -> (number: Int, wire: UInt8) {
        let tag = try varint()
        guard tag < UInt64(UInt32.max) else { throw Failure(wire: .malformed) }
        return try Self.checked(tag: tag)
    }
}
