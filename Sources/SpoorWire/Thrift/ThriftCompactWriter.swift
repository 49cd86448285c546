/// Writes the Thrift compact protocol (UDP 6831); the layouts are listed on `ThriftCompactReader`.
///
/// Field headers use the short delta form when the id is 1–15 above the previous field of the same
/// struct, else the long form; integers are zigzag varints, doubles little-endian.
package struct ThriftCompactWriter: ThriftWriter {
    package private(set) var bytes: [UInt8] = []
    /// Last field id written in the current struct (delta base).
    private var lastFieldID: Int16 = 0
    /// Delta bases of the enclosing structs.
    private var enclosing: [Int16] = []

    /// Creates an empty writer with room for `capacity` bytes.
    package init(capacity: Int = 1024) {
        bytes.reserveCapacity(max(0, capacity))
    }

    package mutating func writeMessageBegin(name: String, type: ThriftMessageType, sequenceID: Int32) {
        bytes.append(0x82)
        bytes.append((type.rawValue << 5) | 0x01)
        appendVarint(UInt64(UInt32(bitPattern: sequenceID)))
        writeString(name)
    }

    package mutating func writeStructBegin() {
        enclosing.append(lastFieldID)
        lastFieldID = 0
    }

    package mutating func writeStructEnd() {
        bytes.append(0x00)
        lastFieldID = enclosing.popLast() ?? 0
    }

    package mutating func writeFieldBegin(id: Int16, type: ThriftType) {
        writeFieldHeader(id: id, nibble: Self.nibble(type))
    }

    package mutating func writeBoolField(id: Int16, _ value: Bool) {
        writeFieldHeader(id: id, nibble: value ? 1 : 2)
    }

    package mutating func writeListBegin(elementType: ThriftType, count: Int) {
        let nibble = Self.nibble(elementType)
        let count = max(0, count)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | nibble)
        } else {
            bytes.append(0xF0 | nibble)
            appendVarint(UInt64(UInt32(clamping: count)))
        }
    }

    package mutating func writeI32(_ value: Int32) {
        appendVarint(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
    }

    package mutating func writeI64(_ value: Int64) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    package mutating func writeDouble(_ value: Double) {
        var little = value.bitPattern.littleEndian
        withUnsafeBytes(of: &little) { bytes.append(contentsOf: $0) }
    }

    package mutating func writeString(_ value: String) {
        let utf8 = value.utf8
        appendVarint(UInt64(UInt32(clamping: utf8.count)))
        bytes.append(contentsOf: utf8)
    }

    package mutating func writeBinary(_ value: [UInt8]) {
        appendVarint(UInt64(UInt32(clamping: value.count)))
        bytes.append(contentsOf: value)
    }

    // MARK: Helpers

    private mutating func writeFieldHeader(id: Int16, nibble: UInt8) {
        let delta = Int(id) - Int(lastFieldID)
        if (1...15).contains(delta) {
            bytes.append(UInt8(delta) << 4 | nibble)
        } else {
            bytes.append(nibble)
            appendVarint(UInt64(UInt16(bitPattern: (id << 1) ^ (id >> 15))))
        }
        lastFieldID = id
    }

    @inline(__always)
    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// The compact type nibble of a (non-bool-field) type; bool elements use 1.
    private static func nibble(_ type: ThriftType) -> UInt8 {
        switch type {
        case .stop: return 0
        case .bool: return 1
        case .byte: return 3
        case .i16: return 4
        case .i32: return 5
        case .i64: return 6
        case .double: return 7
        case .string: return 8
        case .list: return 9
        case .set: return 10
        case .map: return 11
        case .struct: return 12
        case .uuid: return 13
        }
    }
}
