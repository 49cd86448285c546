import NIOCore
import SpoorWire
import Testing

/// Runs `body` with a binary reader over `bytes`.
private func withBinary<T>(
    _ bytes: [UInt8], limits: DecodingLimits = .default,
    _ body: (inout ThriftBinaryReader) throws(ThriftError) -> T
) throws(ThriftError) -> T {
    try ThriftBinaryReader.withReader(over: ByteBuffer(bytes: bytes), limits: limits, body)
}

struct ThriftBinaryReaderTests {
    @Test func binaryReaderReadsStrictMessageHeader() throws {
        let bytes: [UInt8] = [0x80, 0x01, 0x00, 0x04, 0, 0, 0, 3, 0x61, 0x62, 0x63, 0, 0, 0, 9]
        let header = try withBinary(bytes) { r throws(ThriftError) in try r.readMessageHeader() }
        #expect(header == ThriftMessageHeader(name: "abc", type: 4, sequenceID: 9))
    }

    @Test func binaryReaderReadsNonStrictMessageHeader() throws {
        let bytes: [UInt8] = [0, 0, 0, 3, 0x61, 0x62, 0x63, 0x01, 0xFF, 0xFF, 0xFF, 0xFF]
        let header = try withBinary(bytes) { r throws(ThriftError) in try r.readMessageHeader() }
        #expect(header == ThriftMessageHeader(name: "abc", type: 1, sequenceID: -1))
    }

    @Test func binaryReaderRejectsBadVersion() {
        #expect(throws: ThriftError.badVersion(0x8281_0009)) {
            try withBinary([0x82, 0x81, 0x00, 0x09, 0x65]) { r throws(ThriftError) in try r.readMessageHeader() }
        }
    }

    @Test func binaryReaderReadsBigEndianValues() throws {
        var w = BinaryTestWriter()
        w.writeI32(-2)
        w.writeI64(0x0102_0304_0506_0708)
        w.writeDouble(2.5)
        w.writeFieldBegin(id: 0x0102, type: .i16)
        w.append([0xFF, 0xFE])
        #expect(Array(w.bytes[4..<12]) == [1, 2, 3, 4, 5, 6, 7, 8])
        let result = try withBinary(w.bytes) { r throws(ThriftError) in
            (try r.readI32(), try r.readI64(), try r.readDouble(), try r.readFieldHeader(), try r.readI16())
        }
        #expect(result.0 == -2)
        #expect(result.1 == 0x0102_0304_0506_0708)
        #expect(result.2 == 2.5)
        #expect(result.3 == ThriftFieldHeader(id: 0x0102, type: .i16))
        #expect(result.4 == -2)
    }

    @Test func binaryReaderRejectsNegativeLengths() {
        #expect(throws: ThriftError.negativeLength(length: -1, offset: 0)) {
            try withBinary([0xFF, 0xFF, 0xFF, 0xFF]) { r throws(ThriftError) in try r.readString() }
        }
        #expect(throws: ThriftError.negativeLength(length: Int(Int32.min), offset: 0)) {
            try withBinary([0x0C, 0x80, 0, 0, 0]) { r throws(ThriftError) in try r.readListHeader() }
        }
    }

    @Test func binaryReaderRejectsListLongerThanBuffer() {
        // 1,000 i64 elements need 8,000 bytes.
        #expect(throws: ThriftError.truncated(offset: 5)) {
            try withBinary([0x0A, 0, 0, 0x03, 0xE8, 0, 0, 0, 0]) { r throws(ThriftError) in try r.readListHeader() }
        }
    }

    @Test func binaryReaderRejectsUnknownType() {
        #expect(throws: ThriftError.invalidType(111, offset: 0)) {
            try withBinary([111, 0, 1]) { r throws(ThriftError) in try r.readFieldHeader() }
        }
    }

    @Test func binaryReaderSkipsMapsSetsAndUUIDs() throws {
        var w = BinaryTestWriter()
        w.writeFieldBegin(id: 1, type: .map)
        w.append([11, 8, 0, 0, 0, 1, 0, 0, 0, 1, 0x61, 0, 0, 0, 5])
        w.writeFieldBegin(id: 2, type: .set)
        w.writeListBegin(elementType: .bool, count: 2)
        w.writeBool(true)
        w.writeBool(false)
        w.writeFieldBegin(id: 3, type: .uuid)
        w.append([UInt8](repeating: 1, count: 16))
        w.writeStructEnd()
        let offset = try withBinary(w.bytes + [0xEE]) { r throws(ThriftError) in
            try r.skip(.struct)
            return r.offset
        }
        #expect(offset == w.bytes.count)
    }
}
