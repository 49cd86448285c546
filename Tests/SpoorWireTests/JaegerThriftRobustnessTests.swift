import NIOCore
import SpoorModel
import SpoorTestSupport
import SpoorWire
import Testing

/// Decodes `bytes` with all three entry points, discarding results and errors.
private func decodeEverywhere(_ bytes: [UInt8], limits: DecodingLimits = .default) {
    let buffer = ByteBuffer(bytes: bytes)
    _ = try? JaegerThrift.decodeAgentDatagram(buffer, protocol: .compact, limits: limits)
    _ = try? JaegerThrift.decodeAgentDatagram(buffer, protocol: .binary, limits: limits)
    _ = try? JaegerThrift.decodeBatch(binary: buffer, limits: limits)
}

/// `82 81 00 09 "emitBatch"`: a compact emitBatch message header.
private let compactEmitBatchHeader: [UInt8] = [0x82, 0x81, 0x00, 0x09] + Array("emitBatch".utf8)
/// `80 01 00 04 | 00 00 00 09 "emitBatch" | 00 00 00 00`: a strict binary emitBatch message header.
private let binaryEmitBatchHeader: [UInt8] =
    [0x80, 0x01, 0x00, 0x04, 0, 0, 0, 9] + Array("emitBatch".utf8) + [0, 0, 0, 0]

struct JaegerThriftRobustnessTests {
    @Test(arguments: ThriftFixtures.all)
    func everyTruncationOfAFixtureThrows(_ name: String) throws {
        let bytes = try ThriftFixtures.bytes(name)
        for length in 0..<bytes.count {
            let prefix = ByteBuffer(bytes: bytes[0..<length])
            do {
                _ = try ThriftFixtures.decode(name: name, buffer: prefix)
                Issue.record("prefix of \(length) bytes of \(name) decoded")
            } catch {
                // Expected: any ThriftError.
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix(seed: 0x5EED_0001)
        for round in 0..<6000 {
            let length = Int.random(in: 0...(round % 3 == 0 ? 2048 : 96), using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Steer a third of the inputs past the message header into the struct decoders.
            switch round % 3 {
            case 1: bytes = compactEmitBatchHeader + [0x1C] + bytes
            case 2: bytes = binaryEmitBatchHeader + [0x0C, 0x00, 0x01] + bytes
            default: break
            }
            decodeEverywhere(bytes)
        }
    }

    @Test(arguments: ThriftFixtures.all)
    func mutatedFixturesNeverTrap(_ name: String) throws {
        let original = try ThriftFixtures.bytes(name)
        var rng = SplitMix(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }))
        let tight = DecodingLimits(
            maxStringBytes: 64, maxListElements: 8, maxSpansPerBatch: 2, maxTagsPerSpan: 4, maxDepth: 4)
        for round in 0..<300 {
            var bytes = original
            for _ in 0...Int.random(in: 0...3, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                default: bytes.remove(at: index)
                }
                if bytes.isEmpty { break }
            }
            decodeEverywhere(bytes, limits: round % 2 == 0 ? .default : tight)
        }
    }

    @Test func hostileListLengthThrowsQuicklyWithoutAllocating() throws {
        // Batch { process { serviceName "a" }, spans: list<struct> claiming 2^31 elements }.
        let process: [UInt8] = [0x1C, 0x18, 0x01, 0x61, 0x00]
        let compact = compactEmitBatchHeader + [0x1C] + process + [0x19, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x08]
        let binary: [UInt8] = [
            0x0C, 0, 1, 0x0B, 0, 1, 0, 0, 0, 1, 0x61, 0x00, 0x0F, 0, 2, 0x0C, 0x7F, 0xFF, 0xFF, 0xFF,
        ]
        let limit = DecodingLimits.default.maxListElements

        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(throws: ThriftError.lengthOverLimit(length: 1 << 31, limit: limit)) {
                try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: compact), protocol: .compact)
            }
            #expect(throws: ThriftError.lengthOverLimit(length: Int(Int32.max), limit: limit)) {
                try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: binary))
            }
            // Within the limit but far beyond the remaining bytes.
            var underLimit = binary
            underLimit.replaceSubrange(16..<20, with: [0x00, 0x0F, 0x00, 0x00])
            #expect(throws: ThriftError.truncated(offset: 20)) {
                try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: underLimit))
            }
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func hostileStringLengthThrowsQuicklyWithoutAllocating() {
        let limit = DecodingLimits.default.maxStringBytes
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            // Batch { process { serviceName: length 2^31 - 1 } }
            #expect(throws: ThriftError.lengthOverLimit(length: Int(Int32.max), limit: limit)) {
                try JaegerThrift.decodeBatch(
                    binary: ByteBuffer(bytes: [0x0C, 0, 1, 0x0B, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF]))
            }
            #expect(throws: ThriftError.negativeLength(length: Int(Int32.min), offset: 6)) {
                try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: [0x0C, 0, 1, 0x0B, 0, 1, 0x80, 0, 0, 0]))
            }
            // Compact varint 2^31.
            let compact = compactEmitBatchHeader + [0x1C, 0x1C, 0x18, 0x80, 0x80, 0x80, 0x80, 0x08, 0x61]
            #expect(throws: ThriftError.lengthOverLimit(length: 1 << 31, limit: limit)) {
                try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: compact), protocol: .compact)
            }
            // Within the limit but beyond the remaining bytes.
            #expect(throws: ThriftError.truncated(offset: 10)) {
                try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: [0x0C, 0, 1, 0x0B, 0, 1, 0, 1, 0, 0, 0x61]))
            }
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func structNestingDeeperThanTheLimitThrows() {
        // Batch { 99: struct { 99: struct { ... } } }, 200 levels, in an HTTP body.
        var bytes: [UInt8] = []
        for _ in 0..<200 { bytes += [0x0C, 0x00, 0x63] }
        bytes += [UInt8](repeating: 0x00, count: 201)
        #expect(throws: ThriftError.depthExceeded(limit: 64)) {
            try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: bytes))
        }
    }

    @Test func listNestingDeeperThanTheLimitThrows() {
        // Batch { 98: list<list<list<...>>> } with one element per level, in a compact datagram.
        var bytes = compactEmitBatchHeader + [0x1C, 0x09, 0xC4, 0x01]  // long-form field 98, type list
        for _ in 0..<200 { bytes += [0x19] }  // one element of type list
        bytes += [UInt8](repeating: 0x00, count: 10)
        #expect(throws: ThriftError.depthExceeded(limit: 64)) {
            try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: bytes), protocol: .compact)
        }
    }

    @Test func nestingWithinTheLimitIsAccepted() throws {
        // Unknown field holding 50 nested structs inside a valid span: skipped, span decoded.
        var w = CompactTestWriter()
        w.writeMessageBegin(name: "emitBatch", type: 4, sequenceID: 0)
        w.writeStructBegin()
        w.writeFieldBegin(id: 1, type: .struct)
        w.writeStructBegin()
        w.writeFieldBegin(id: 1, type: .struct)
        w.writeStructBegin()
        w.writeStringField(id: 1, "svc")
        w.writeStructEnd()
        w.writeFieldBegin(id: 2, type: .list)
        w.writeListBegin(elementType: .struct, count: 0)
        for _ in 0..<50 {
            w.writeFieldBegin(id: 20, type: .struct)
            w.writeStructBegin()
        }
        for _ in 0..<50 { w.writeStructEnd() }
        w.writeStructEnd()
        w.writeStructEnd()
        #expect(try JaegerWire.decode(CompactTestWriter.self, w.bytes).isEmpty)
    }

    @Test func binaryDatagramSentToTheCompactPortThrowsBadProtocolID() throws {
        let buffer = try ThriftFixtures.buffer("otel-jaeger-udp-00.binary.bin")
        #expect(throws: ThriftError.badProtocolID(0x80)) {
            try JaegerThrift.decodeAgentDatagram(buffer, protocol: .compact)
        }
    }

    @Test func compactDatagramSentToTheBinaryPortThrowsBadVersion() throws {
        let buffer = try ThriftFixtures.buffer("otel-jaeger-udp-00.compact.bin")
        #expect(throws: ThriftError.badVersion(0x8281_0009)) {
            try JaegerThrift.decodeAgentDatagram(buffer, protocol: .binary)
        }
    }

    @Test func spanAndTagLimitsAreEnforced() throws {
        let limits = DecodingLimits(
            maxStringBytes: 1000, maxListElements: 1000, maxSpansPerBatch: 2, maxTagsPerSpan: 3, maxDepth: 64)
        let twoSpans = JaegerWire.emitBatch(CompactTestWriter.self, spans: [JaegerWireSpan(), JaegerWireSpan()])
        let threeSpans = JaegerWire.emitBatch(
            CompactTestWriter.self, spans: [JaegerWireSpan(), JaegerWireSpan(), JaegerWireSpan()])
        #expect(throws: Never.self) {
            try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: twoSpans), protocol: .compact, limits: limits)
        }
        #expect(throws: ThriftError.lengthOverLimit(length: 3, limit: 2)) {
            try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: threeSpans), protocol: .compact, limits: limits)
        }
        var tagged = JaegerWireSpan()
        tagged.tags = (0..<4).map { .long("t\($0)", Int64($0)) }
        let manyTags = JaegerWire.emitBatch(BinaryTestWriter.self, spans: [tagged])
        #expect(throws: ThriftError.lengthOverLimit(length: 4, limit: 3)) {
            try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: manyTags), protocol: .binary, limits: limits)
        }
        var longName = JaegerWireSpan()
        longName.operationName = String(repeating: "x", count: 1001)
        let longString = JaegerWire.emitBatch(BinaryTestWriter.self, spans: [longName])
        #expect(throws: ThriftError.lengthOverLimit(length: 1001, limit: 1000)) {
            try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: longString), protocol: .binary, limits: limits)
        }
    }

    @Test func listOfWrongElementTypeIsRejected() {
        // Batch.spans declared as list<i32>.
        var w = BinaryTestWriter()
        w.writeFieldBegin(id: 1, type: .struct)
        w.writeStringField(id: 1, "svc")
        w.writeStructEnd()
        w.writeFieldBegin(id: 2, type: .list)
        w.writeListBegin(elementType: .i32, count: 1)
        w.writeI32(5)
        w.writeStructEnd()
        #expect(throws: ThriftError.unexpectedType(fieldID: 2, wireType: 8)) {
            try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: w.bytes))
        }
    }
}
