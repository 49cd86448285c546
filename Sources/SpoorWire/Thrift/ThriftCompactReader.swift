import NIOCore

/// Reads the Thrift compact protocol (UDP 6831).
///
/// Layouts (v = unsigned LEB128 varint, z = zigzag varint):
/// ```
/// message   [0x82][type:3 bits | version 1:5 bits][seqid:v32][name len:v32][name]
/// field     [delta:4 | type:4]                   delta 1...15 from the previous id in this struct
///           [0000 | type:4][field id:z16]         long form
/// stop      [0x00]
/// bool fld  no value bytes: type nibble 1 = true, 2 = false
/// list/set  [size:4 | elem:4]                     size 0...14
///           [1111 | elem:4][size:v32]             long form
/// map       [0x00] when empty, else [size:v32][key:4 | value:4]
/// i16/i32   z (at most 5 bytes)   i64  z (at most 10 bytes)   i8  one raw byte
/// double    8 bytes little-endian IEEE-754
/// binary    [len:v32][bytes]
/// ```
/// Element bools are one byte (1 = true); list element type 1 and 2 both mean bool.
package struct ThriftCompactReader: ThriftReader {
    private var cursor: ThriftByteCursor
    /// Last field id read in the current struct (delta base).
    private var lastFieldID: Int16 = 0
    /// Value carried by the last bool field header: 0 none, 1 true, 2 false.
    private var pendingBool: UInt8 = 0

    /// Creates a reader over borrowed bytes; valid only while `bytes` is.
    package init(unsafeBytes bytes: UnsafeRawBufferPointer, limits: DecodingLimits = .default) {
        self.cursor = ThriftByteCursor(bytes: bytes, limits: limits)
    }

    /// Runs `body` with a reader over the readable bytes of `buffer`.
    package static func withReader<Result>(
        over buffer: ByteBuffer, limits: DecodingLimits,
        _ body: (inout ThriftCompactReader) throws(ThriftError) -> Result
    ) throws(ThriftError) -> Result {
        try withReadableBytes(of: buffer) { raw throws(ThriftError) in
            var reader = ThriftCompactReader(unsafeBytes: raw, limits: limits)
            return try body(&reader)
        }
    }

    /// The limits this reader enforces.
    package var limits: DecodingLimits { cursor.limits }
    /// Byte offset of the next read.
    package var offset: Int { cursor.offset }

    // MARK: Types

    /// Maps a compact type nibble to a `ThriftType`; 1 and 2 (bool true/false) both give `.bool`.
    @inline(__always)
    private func type(fromCompact nibble: UInt8, at offset: Int) throws(ThriftError) -> ThriftType {
        switch nibble {
        case 1, 2: return .bool
        case 3: return .byte
        case 4: return .i16
        case 5: return .i32
        case 6: return .i64
        case 7: return .double
        case 8: return .string
        case 9: return .list
        case 10: return .set
        case 11: return .map
        case 12: return .struct
        case 13: return .uuid
        default: throw .invalidType(nibble, offset: offset)
        }
    }

    /// Fewest bytes one element of `type` can occupy.
    @inline(__always)
    private static func minimumSize(of type: ThriftType) -> Int {
        switch type {
        case .double: return 8
        case .uuid: return 16
        default: return 1
        }
    }

    @inline(__always)
    private mutating func readVarint32() throws(ThriftError) -> UInt32 {
        UInt32(truncatingIfNeeded: try cursor.readVarint(maxBytes: 5))
    }

    @inline(__always)
    private static func zigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    // MARK: Framing

    /// Reads `[0x82][type|version][seqid][name]`.
    package mutating func readMessageHeader() throws(ThriftError) -> ThriftMessageHeader {
        let protocolID = try cursor.readUInt8()
        guard protocolID == 0x82 else { throw .badProtocolID(protocolID) }
        let typeAndVersion = try cursor.readUInt8()
        let version = typeAndVersion & 0x1F
        guard version == 1 else { throw .badVersion(UInt32(version)) }
        let sequenceID = Int32(bitPattern: try readVarint32())
        let name = try readString()
        return ThriftMessageHeader(name: name, type: typeAndVersion >> 5, sequenceID: sequenceID)
    }

    /// Enters a struct: field-id deltas restart from 0.
    @inline(__always)
    package mutating func readStructBegin() throws(ThriftError) -> ThriftStructScope {
        try cursor.enter()
        let scope = ThriftStructScope(enclosingLastFieldID: lastFieldID)
        lastFieldID = 0
        return scope
    }

    /// Leaves a struct and restores the enclosing delta base.
    @inline(__always)
    package mutating func readStructEnd(_ scope: ThriftStructScope) {
        cursor.leave()
        lastFieldID = scope.enclosingLastFieldID
    }

    /// Reads a short- or long-form field header; nil at stop.
    @inline(__always)
    package mutating func readFieldHeader() throws(ThriftError) -> ThriftFieldHeader? {
        let start = cursor.offset
        let byte = try cursor.readUInt8()
        let nibble = byte & 0x0F
        if nibble == 0 { return nil }
        let type = try type(fromCompact: nibble, at: start)
        pendingBool = type == .bool ? nibble : 0
        let delta = byte >> 4
        let id: Int16
        if delta != 0 {
            id = lastFieldID &+ Int16(delta)
        } else {
            id = Int16(truncatingIfNeeded: Self.zigzag(UInt64(try readVarint32())))
        }
        lastFieldID = id
        return ThriftFieldHeader(id: id, type: type)
    }

    /// Reads `[size|elem]` or `[1111|elem][size]`.
    @inline(__always)
    package mutating func readListHeader() throws(ThriftError) -> ThriftListHeader {
        let start = cursor.offset
        let byte = try cursor.readUInt8()
        let shortSize = Int(byte >> 4)
        let size = shortSize == 15 ? Int(try readVarint32()) : shortSize
        if size == 0 { return ThriftListHeader(elementType: .stop, count: 0) }
        let elementType = try type(fromCompact: byte & 0x0F, at: start)
        let count = try cursor.checkedCount(size, minimumElementBytes: Self.minimumSize(of: elementType), at: start)
        return ThriftListHeader(elementType: elementType, count: count)
    }

    /// Reads `[0x00]` or `[size][key|value]`.
    package mutating func readMapHeader() throws(ThriftError) -> ThriftMapHeader {
        let start = cursor.offset
        let size = Int(try readVarint32())
        if size == 0 { return ThriftMapHeader(keyType: .stop, valueType: .stop, count: 0) }
        let types = try cursor.readUInt8()
        let keyType = try type(fromCompact: types >> 4, at: start)
        let valueType = try type(fromCompact: types & 0x0F, at: start)
        let entrySize = Self.minimumSize(of: keyType) + Self.minimumSize(of: valueType)
        let count = try cursor.checkedCount(size, minimumElementBytes: entrySize, at: start)
        return ThriftMapHeader(keyType: keyType, valueType: valueType, count: count)
    }

    /// Counts one container nesting level.
    package mutating func enterContainer() throws(ThriftError) { try cursor.enter() }
    /// Leaves a container nesting level.
    package mutating func leaveContainer() { cursor.leave() }

    // MARK: Values

    /// The bool from the preceding field header, or one element byte (1 = true).
    @inline(__always)
    package mutating func readBool() throws(ThriftError) -> Bool {
        if pendingBool != 0 {
            let value = pendingBool == 1
            pendingBool = 0
            return value
        }
        return try cursor.readUInt8() == 1
    }

    /// One raw byte.
    package mutating func readByte() throws(ThriftError) -> Int8 {
        Int8(bitPattern: try cursor.readUInt8())
    }

    /// Zigzag varint, truncated to 16 bits.
    package mutating func readI16() throws(ThriftError) -> Int16 {
        Int16(truncatingIfNeeded: Self.zigzag(UInt64(try readVarint32())))
    }

    /// Zigzag varint of at most 5 bytes.
    @inline(__always)
    package mutating func readI32() throws(ThriftError) -> Int32 {
        Int32(truncatingIfNeeded: Self.zigzag(UInt64(try readVarint32())))
    }

    /// Zigzag varint of at most 10 bytes.
    @inline(__always)
    package mutating func readI64() throws(ThriftError) -> Int64 {
        Self.zigzag(try cursor.readVarint(maxBytes: 10))
    }

    /// 8 bytes little-endian.
    @inline(__always)
    package mutating func readDouble() throws(ThriftError) -> Double {
        Double(bitPattern: try cursor.readLittleEndianUInt64())
    }

    /// `[len][utf-8]`.
    @inline(__always)
    package mutating func readString() throws(ThriftError) -> String {
        let start = cursor.offset
        let length = Int(try readVarint32())
        return try cursor.readString(length: length, lengthOffset: start)
    }

    /// `[len][bytes]`.
    package mutating func readBinary() throws(ThriftError) -> [UInt8] {
        let start = cursor.offset
        let length = Int(try readVarint32())
        return try cursor.readBytes(length: length, lengthOffset: start)
    }

    /// Skips `[len][bytes]`.
    package mutating func skipBinary() throws(ThriftError) {
        let start = cursor.offset
        let length = Int(try readVarint32())
        try cursor.skipBytes(length: length, lengthOffset: start)
    }

    /// Skips raw bytes.
    package mutating func skipRawBytes(_ count: Int) throws(ThriftError) {
        try cursor.skipRaw(count)
    }
}
