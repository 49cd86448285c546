import NIOCore

/// Reads the Thrift binary protocol (UDP 6832, HTTP 14268 bodies).
///
/// Layouts (all integers big-endian):
/// ```
/// message, strict      [0x80 0x01 0x00 type][name len:i32][name][seqid:i32]
/// message, non-strict  [name len:i32 > 0][name][type:i8][seqid:i32]
/// field                [type:i8][field id:i16]      stop = [0x00]
/// list/set             [elem type:i8][size:i32]
/// map                  [key type:i8][value type:i8][size:i32]
/// bool [0|1]  i8 [1]  i16 [2]  i32 [4]  i64 [8]  double [8, IEEE-754]
/// binary               [len:i32][bytes]
/// ```
package struct ThriftBinaryReader: ThriftReader {
    private var cursor: ThriftByteCursor

    /// Creates a reader over borrowed bytes; valid only while `bytes` is.
    package init(unsafeBytes bytes: UnsafeRawBufferPointer, limits: DecodingLimits = .default) {
        self.cursor = ThriftByteCursor(bytes: bytes, limits: limits)
    }

    /// Runs `body` with a reader over the readable bytes of `buffer`.
    package static func withReader<Result>(
        over buffer: ByteBuffer, limits: DecodingLimits,
        _ body: (inout ThriftBinaryReader) throws(ThriftError) -> Result
    ) throws(ThriftError) -> Result {
        try withReadableBytes(of: buffer) { raw throws(ThriftError) in
            var reader = ThriftBinaryReader(unsafeBytes: raw, limits: limits)
            return try body(&reader)
        }
    }

    /// The limits this reader enforces.
    package var limits: DecodingLimits { cursor.limits }
    /// Byte offset of the next read.
    package var offset: Int { cursor.offset }

    // MARK: Types

    @inline(__always)
    private func type(fromWire id: UInt8, at offset: Int) throws(ThriftError) -> ThriftType {
        switch id {
        case 2: return .bool
        case 3: return .byte
        case 4: return .double
        case 6: return .i16
        case 8: return .i32
        case 10: return .i64
        case 11: return .string
        case 12: return .struct
        case 13: return .map
        case 14: return .set
        case 15: return .list
        case 16: return .uuid
        default: throw .invalidType(id, offset: offset)
        }
    }

    /// Fewest bytes one element of `type` can occupy.
    @inline(__always)
    private static func minimumSize(of type: ThriftType) -> Int {
        switch type {
        case .stop, .bool, .byte, .struct: return 1
        case .i16: return 2
        case .i32, .string: return 4
        case .i64, .double: return 8
        case .list, .set: return 5
        case .map: return 6
        case .uuid: return 16
        }
    }

    @inline(__always)
    private mutating func readSize() throws(ThriftError) -> Int {
        Int(Int32(bitPattern: try cursor.readBigEndianUInt32()))
    }

    // MARK: Framing

    /// Reads a strict or non-strict message header; the first bit tells them apart.
    package mutating func readMessageHeader() throws(ThriftError) -> ThriftMessageHeader {
        let start = cursor.offset
        let first = try cursor.readBigEndianUInt32()
        if first & 0x8000_0000 != 0 {
            guard first & 0xFFFF_0000 == 0x8001_0000 else { throw .badVersion(first) }
            let name = try readString()
            let sequenceID = Int32(bitPattern: try cursor.readBigEndianUInt32())
            return ThriftMessageHeader(name: name, type: UInt8(truncatingIfNeeded: first), sequenceID: sequenceID)
        }
        let name = try cursor.readString(length: Int(first), lengthOffset: start)
        let type = try cursor.readUInt8()
        let sequenceID = Int32(bitPattern: try cursor.readBigEndianUInt32())
        return ThriftMessageHeader(name: name, type: type, sequenceID: sequenceID)
    }

    /// Enters a struct (counts one nesting level).
    @inline(__always)
    package mutating func readStructBegin() throws(ThriftError) -> ThriftStructScope {
        try cursor.enter()
        return ThriftStructScope(enclosingLastFieldID: 0)
    }

    /// Leaves a struct.
    @inline(__always)
    package mutating func readStructEnd(_ scope: ThriftStructScope) {
        cursor.leave()
    }

    /// Reads `[type][id]`; nil at stop.
    @inline(__always)
    package mutating func readFieldHeader() throws(ThriftError) -> ThriftFieldHeader? {
        let start = cursor.offset
        let typeID = try cursor.readUInt8()
        if typeID == 0 { return nil }
        let type = try type(fromWire: typeID, at: start)
        let id = Int16(bitPattern: try cursor.readBigEndianUInt16())
        return ThriftFieldHeader(id: id, type: type)
    }

    /// Reads `[elem type][size]`.
    @inline(__always)
    package mutating func readListHeader() throws(ThriftError) -> ThriftListHeader {
        let start = cursor.offset
        let typeID = try cursor.readUInt8()
        let size = try readSize()
        guard size != 0 else { return ThriftListHeader(elementType: .stop, count: 0) }
        guard size > 0 else { throw .negativeLength(length: size, offset: start) }
        let elementType = try type(fromWire: typeID, at: start)
        let count = try cursor.checkedCount(size, minimumElementBytes: Self.minimumSize(of: elementType), at: start)
        return ThriftListHeader(elementType: elementType, count: count)
    }

    /// Reads `[key type][value type][size]`.
    package mutating func readMapHeader() throws(ThriftError) -> ThriftMapHeader {
        let start = cursor.offset
        let keyID = try cursor.readUInt8()
        let valueID = try cursor.readUInt8()
        let size = try readSize()
        guard size != 0 else { return ThriftMapHeader(keyType: .stop, valueType: .stop, count: 0) }
        guard size > 0 else { throw .negativeLength(length: size, offset: start) }
        let keyType = try type(fromWire: keyID, at: start)
        let valueType = try type(fromWire: valueID, at: start)
        let entrySize = Self.minimumSize(of: keyType) + Self.minimumSize(of: valueType)
        let count = try cursor.checkedCount(size, minimumElementBytes: entrySize, at: start)
        return ThriftMapHeader(keyType: keyType, valueType: valueType, count: count)
    }

    /// Counts one container nesting level.
    package mutating func enterContainer() throws(ThriftError) { try cursor.enter() }
    /// Leaves a container nesting level.
    package mutating func leaveContainer() { cursor.leave() }

    // MARK: Values

    /// One byte, 1 = true.
    package mutating func readBool() throws(ThriftError) -> Bool {
        try cursor.readUInt8() == 1
    }

    /// One byte.
    package mutating func readByte() throws(ThriftError) -> Int8 {
        Int8(bitPattern: try cursor.readUInt8())
    }

    /// Two bytes big-endian.
    package mutating func readI16() throws(ThriftError) -> Int16 {
        Int16(bitPattern: try cursor.readBigEndianUInt16())
    }

    /// Four bytes big-endian.
    @inline(__always)
    package mutating func readI32() throws(ThriftError) -> Int32 {
        Int32(bitPattern: try cursor.readBigEndianUInt32())
    }

    /// Eight bytes big-endian.
    @inline(__always)
    package mutating func readI64() throws(ThriftError) -> Int64 {
        Int64(bitPattern: try cursor.readBigEndianUInt64())
    }

    /// Eight bytes big-endian IEEE-754.
    @inline(__always)
    package mutating func readDouble() throws(ThriftError) -> Double {
        Double(bitPattern: try cursor.readBigEndianUInt64())
    }

    /// `[len][utf-8]`.
    @inline(__always)
    package mutating func readString() throws(ThriftError) -> String {
        let start = cursor.offset
        let length = try readSize()
        return try cursor.readString(length: length, lengthOffset: start)
    }

    /// `[len][bytes]`.
    package mutating func readBinary() throws(ThriftError) -> [UInt8] {
        let start = cursor.offset
        let length = try readSize()
        return try cursor.readBytes(length: length, lengthOffset: start)
    }

    /// Skips `[len][bytes]`.
    package mutating func skipBinary() throws(ThriftError) {
        let start = cursor.offset
        let length = try readSize()
        try cursor.skipBytes(length: length, lengthOffset: start)
    }

    /// Skips raw bytes.
    package mutating func skipRawBytes(_ count: Int) throws(ThriftError) {
        try cursor.skipRaw(count)
    }
}
