import NIOCore
import SpoorWire
import Testing

/// Runs `body` with a compact reader over `bytes`.
private func withCompact<T>(
    _ bytes: [UInt8], limits: DecodingLimits = .default,
    _ body: (inout ThriftCompactReader) throws(ThriftError) -> T
) throws(ThriftError) -> T {
    try ThriftCompactReader.withReader(over: ByteBuffer(bytes: bytes), limits: limits, body)
}

struct ThriftCompactReaderTests {
    @Test func compactReaderReadsLongFormFieldHeaderThenDeltasFromIt() throws {
        // [0x05][zigzag 100 = 0xC8 0x01] i32 field 100 = 7, then [0x16] i64 field 101 = 1, stop.
        let bytes: [UInt8] = [0x05, 0xC8, 0x01, 0x0E, 0x16, 0x02, 0x00]
        let fields = try withCompact(bytes) { r throws(ThriftError) in
            let scope = try r.readStructBegin()
            var out: [(Int16, ThriftType, Int64)] = []
            while let field = try r.readFieldHeader() {
                let value = field.type == .i32 ? Int64(try r.readI32()) : try r.readI64()
                out.append((field.id, field.type, value))
            }
            r.readStructEnd(scope)
            return out
        }
        #expect(fields.map(\.0) == [100, 101])
        #expect(fields.map(\.1) == [.i32, .i64])
        #expect(fields.map(\.2) == [7, 1])
    }

    @Test func compactReaderRestartsFieldDeltasInEveryNestedStruct() throws {
        // outer field 3 struct { field 1 i32 = 1 } then outer delta 1 -> field 4, not 2.
        let bytes: [UInt8] = [0x3C, 0x15, 0x02, 0x00, 0x15, 0x04, 0x00]
        let ids = try withCompact(bytes) { r throws(ThriftError) in
            var ids: [Int16] = []
            let outer = try r.readStructBegin()
            while let field = try r.readFieldHeader() {
                ids.append(field.id)
                if field.type == .struct {
                    let inner = try r.readStructBegin()
                    while let innerField = try r.readFieldHeader() {
                        ids.append(innerField.id)
                        _ = try r.readI32()
                    }
                    r.readStructEnd(inner)
                } else {
                    _ = try r.readI32()
                }
            }
            r.readStructEnd(outer)
            return ids
        }
        #expect(ids == [3, 1, 4])
    }

    @Test func compactReaderTakesBoolFieldValuesFromTheTypeNibble() throws {
        // field 1 true [0x11], field 2 false [0x12], stop.
        let values = try withCompact([0x11, 0x12, 0x00]) { r throws(ThriftError) in
            var values: [Bool] = []
            while let field = try r.readFieldHeader() {
                #expect(field.type == .bool)
                values.append(try r.readBool())
            }
            return values
        }
        #expect(values == [true, false])
    }

    @Test(arguments: [UInt8(1), 2])
    func compactReaderAcceptsBoolListElementType(_ elementType: UInt8) throws {
        // Size 3; element bytes 1 = true; 0 and 2 (Java's "false") = false.
        let values = try withCompact([0x30 | elementType, 0x01, 0x00, 0x02]) { r throws(ThriftError) in
            let header = try r.readListHeader()
            #expect(header == ThriftListHeader(elementType: .bool, count: 3))
            var values: [Bool] = []
            for _ in 0..<header.count { values.append(try r.readBool()) }
            return values
        }
        #expect(values == [true, false, false])
    }

    @Test func compactReaderReadsLongFormListHeader() throws {
        var bytes: [UInt8] = [0xF5, 20]  // 20 i32 elements
        bytes += (0..<20).map { UInt8($0) << 1 }
        let values = try withCompact(bytes) { r throws(ThriftError) in
            let header = try r.readListHeader()
            var values: [Int32] = []
            for _ in 0..<header.count { values.append(try r.readI32()) }
            return values
        }
        #expect(values == Array(0..<20))
    }

    @Test func compactReaderDecodesZigzagVarintsAndLittleEndianDoubles() throws {
        var w = CompactTestWriter()
        w.writeI32(-1)
        w.writeI32(Int32.min)
        w.writeI64(Int64.max)
        w.writeI64(Int64.min)
        w.writeDouble(-1.5)
        #expect(Array(w.bytes[w.bytes.count - 8..<w.bytes.count]) == [0, 0, 0, 0, 0, 0, 0xF8, 0xBF])
        let result = try withCompact(w.bytes) { r throws(ThriftError) in
            (try r.readI32(), try r.readI32(), try r.readI64(), try r.readI64(), try r.readDouble())
        }
        #expect(result.0 == -1)
        #expect(result.1 == Int32.min)
        #expect(result.2 == Int64.max)
        #expect(result.3 == Int64.min)
        #expect(result.4 == -1.5)
    }

    @Test func compactReaderReadsEmptyAndNonEmptyMapHeaders() throws {
        // {}, then {"a": 1, "b": 2} as string -> i32.
        let bytes: [UInt8] = [0x00, 0x02, 0x85, 0x01, 0x61, 0x02, 0x01, 0x62, 0x04]
        let result = try withCompact(bytes) { r throws(ThriftError) in
            let empty = try r.readMapHeader()
            let map = try r.readMapHeader()
            var pairs: [(String, Int32)] = []
            for _ in 0..<map.count { pairs.append((try r.readString(), try r.readI32())) }
            return (empty, map, pairs)
        }
        #expect(result.0.count == 0)
        #expect(result.1 == ThriftMapHeader(keyType: .string, valueType: .i32, count: 2))
        #expect(result.2.map(\.0) == ["a", "b"])
        #expect(result.2.map(\.1) == [1, 2])
    }

    @Test func compactReaderSkipsEveryValueType() throws {
        var w = CompactTestWriter()
        w.writeStructBegin()
        w.writeBoolField(id: 1, value: true)
        w.writeFieldBegin(id: 2, type: .byte)
        w.append([0x7F])
        w.writeFieldBegin(id: 3, type: .i16)
        w.writeI32(-300)
        w.writeFieldBegin(id: 4, type: .double)
        w.writeDouble(3)
        w.writeFieldBegin(id: 5, type: .map)
        w.append([0x01, 0x88, 0x01, 0x61, 0x01, 0x62])
        w.writeFieldBegin(id: 6, type: .set)
        w.writeListBegin(elementType: .bool, count: 2)
        w.writeBool(true)
        w.writeBool(false)
        w.writeFieldBegin(id: 7, type: .uuid)
        w.append([UInt8](repeating: 0xAB, count: 16))
        w.writeFieldBegin(id: 300, type: .string)
        w.writeString("long form id")
        w.writeStructEnd()
        w.append([0xEE])  // sentinel after the struct
        let offset = try withCompact(w.bytes) { r throws(ThriftError) in
            try r.skip(.struct)
            return r.offset
        }
        #expect(offset == w.bytes.count - 1)
    }

    @Test func compactReaderRejectsOverlongVarint() {
        #expect(throws: ThriftError.varintTooLong(offset: 0)) {
            try withCompact([UInt8](repeating: 0xFF, count: 11) + [0x01]) { r throws(ThriftError) in try r.readI64() }
        }
        #expect(throws: ThriftError.varintTooLong(offset: 0)) {
            try withCompact([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) { r throws(ThriftError) in try r.readI32() }
        }
    }

    @Test func compactReaderRejectsListLongerThanBuffer() {
        #expect(throws: ThriftError.lengthOverLimit(length: 1 << 31, limit: DecodingLimits.default.maxListElements)) {
            try withCompact([0xFC, 0x80, 0x80, 0x80, 0x80, 0x08]) { r throws(ThriftError) in try r.readListHeader() }
        }
        #expect(throws: ThriftError.truncated(offset: 2)) {
            try withCompact([0xFC, 0x64, 0x00]) { r throws(ThriftError) in try r.readListHeader() }
        }
    }

    @Test func compactReaderRejectsStringLongerThanBuffer() {
        #expect(throws: ThriftError.lengthOverLimit(length: 1 << 31, limit: DecodingLimits.default.maxStringBytes)) {
            try withCompact([0x80, 0x80, 0x80, 0x80, 0x08, 0x61]) { r throws(ThriftError) in try r.readString() }
        }
        #expect(throws: ThriftError.truncated(offset: 1)) {
            try withCompact([0x05, 0x61, 0x62]) { r throws(ThriftError) in try r.readString() }
        }
    }

    @Test func compactReaderRejectsUnknownTypeNibble() {
        #expect(throws: ThriftError.invalidType(14, offset: 0)) {
            try withCompact([0x1E, 0x00]) { r throws(ThriftError) in try r.readFieldHeader() }
        }
    }

    @Test func compactReaderLimitsSkipDepth() {
        // 10 nested structs (field 1 of type struct), limit 5.
        let bytes = [UInt8](repeating: 0x1C, count: 10) + [UInt8](repeating: 0x00, count: 11)
        let limits = DecodingLimits(
            maxStringBytes: 100, maxListElements: 100, maxSpansPerBatch: 100, maxTagsPerSpan: 100, maxDepth: 5)
        #expect(throws: ThriftError.depthExceeded(limit: 5)) {
            try withCompact(bytes, limits: limits) { r throws(ThriftError) in try r.skip(.struct) }
        }
        #expect(throws: Never.self) {
            try withCompact(bytes) { r throws(ThriftError) in try r.skip(.struct) }
        }
    }

    @Test func compactReaderReadsMessageHeaderWithPlainVarintSequenceID() throws {
        var w = CompactTestWriter()
        w.writeMessageBegin(name: "emitBatch", type: 4, sequenceID: 300)
        #expect(Array(w.bytes.prefix(4)) == [0x82, 0x81, 0xAC, 0x02])
        let header = try withCompact(w.bytes) { r throws(ThriftError) in try r.readMessageHeader() }
        #expect(header == ThriftMessageHeader(name: "emitBatch", type: 4, sequenceID: 300))
    }

    @Test func compactReaderRejectsBadVersion() {
        #expect(throws: ThriftError.badVersion(2)) {
            try withCompact([0x82, 0x82, 0x00, 0x00]) { r throws(ThriftError) in try r.readMessageHeader() }
        }
    }
}
