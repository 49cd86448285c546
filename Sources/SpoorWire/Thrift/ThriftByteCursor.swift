/// Bounds-checked reads over borrowed bytes, shared by both protocol readers.
///
/// Each read checks once that enough bytes remain and then loads without further checks.
/// The cursor never outlives the `withUnsafeReadableBytes` closure that produced `bytes`.
struct ThriftByteCursor {
    private let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to read.
    private(set) var offset: Int = 0
    /// Limits applied to lengths and nesting.
    let limits: DecodingLimits
    /// Current nesting of structs and containers.
    private var depth: Int = 0

    init(bytes: UnsafeRawBufferPointer, limits: DecodingLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Bytes left after `offset`.
    @inline(__always)
    var remaining: Int { bytes.count &- offset }

    // MARK: Nesting

    @inline(__always)
    mutating func enter() throws(ThriftError) {
        guard depth < limits.maxDepth else { throw .depthExceeded(limit: limits.maxDepth) }
        depth &+= 1
    }

    @inline(__always)
    mutating func leave() {
        depth = depth > 0 ? depth &- 1 : 0
    }

    // MARK: Fixed-width reads

    @inline(__always)
    mutating func readUInt8() throws(ThriftError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(offset: offset) }
        let value = bytes.load(fromByteOffset: offset, as: UInt8.self)
        offset &+= 1
        return value
    }

    @inline(__always)
    mutating func readBigEndianUInt16() throws(ThriftError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated(offset: offset) }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        offset &+= 2
        return UInt16(bigEndian: value)
    }

    @inline(__always)
    mutating func readBigEndianUInt32() throws(ThriftError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(offset: offset) }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset &+= 4
        return UInt32(bigEndian: value)
    }

    @inline(__always)
    mutating func readBigEndianUInt64() throws(ThriftError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: offset) }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset &+= 8
        return UInt64(bigEndian: value)
    }

    @inline(__always)
    mutating func readLittleEndianUInt64() throws(ThriftError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: offset) }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset &+= 8
        return UInt64(littleEndian: value)
    }

    // MARK: Varints

    /// Unsigned LEB128 of at most `maxBytes` bytes (5 for 32-bit values, 10 for 64-bit).
    @inline(__always)
    mutating func readVarint(maxBytes: Int) throws(ThriftError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        let end = bytes.count
        while true {
            guard index < end else { throw .truncated(offset: index) }
            let byte = bytes.load(fromByteOffset: index, as: UInt8.self)
            index &+= 1
            // Shifts of 64 or more yield 0 in Swift's smart shift; the 10th byte only keeps bit 0.
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                offset = index
                return result
            }
            shift &+= 7
            if index &- start >= maxBytes { throw .varintTooLong(offset: start) }
        }
    }

    // MARK: Lengths and byte runs

    /// Validates a string/binary length against the limit and the remaining bytes.
    @inline(__always)
    private func checkedByteLength(_ length: Int, at start: Int) throws(ThriftError) -> Int {
        guard length >= 0 else { throw .negativeLength(length: length, offset: start) }
        guard length <= limits.maxStringBytes else {
            throw .lengthOverLimit(length: length, limit: limits.maxStringBytes)
        }
        guard length <= remaining else { throw .truncated(offset: offset) }
        return length
    }

    /// Validates an element count: the limit, and `minimumElementBytes` per element must remain.
    @inline(__always)
    func checkedCount(_ count: Int, minimumElementBytes: Int, at start: Int) throws(ThriftError) -> Int {
        guard count >= 0 else { throw .negativeLength(length: count, offset: start) }
        guard count <= limits.maxListElements else {
            throw .lengthOverLimit(length: count, limit: limits.maxListElements)
        }
        guard count <= remaining / max(minimumElementBytes, 1) else { throw .truncated(offset: offset) }
        return count
    }

    /// Reads a string of `length` bytes (as decoded at `lengthOffset`), repairing invalid UTF-8.
    @inline(__always)
    mutating func readString(length: Int, lengthOffset: Int) throws(ThriftError) -> String {
        let length = try checkedByteLength(length, at: lengthOffset)
        guard length > 0 else { return "" }
        let end = offset &+ length
        let string = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), as: UTF8.self)
        offset = end
        return string
    }

    /// Copies `length` bytes (as decoded at `lengthOffset`).
    @inline(__always)
    mutating func readBytes(length: Int, lengthOffset: Int) throws(ThriftError) -> [UInt8] {
        let length = try checkedByteLength(length, at: lengthOffset)
        guard length > 0 else { return [] }
        let end = offset &+ length
        let array = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
        offset = end
        return array
    }

    /// Advances past `length` bytes (as decoded at `lengthOffset`) without copying them.
    @inline(__always)
    mutating func skipBytes(length: Int, lengthOffset: Int) throws(ThriftError) {
        let length = try checkedByteLength(length, at: lengthOffset)
        offset &+= length
    }

    /// Advances past `count` bytes, checking that they exist.
    @inline(__always)
    mutating func skipRaw(_ count: Int) throws(ThriftError) {
        guard count >= 0, count <= remaining else { throw .truncated(offset: offset) }
        offset &+= count
    }
}
