import CZlib
import NIOCore
import SpoorWire
import Testing

/// `BodyDecompression` against streams made by zlib itself.
struct GzipTests {
    enum Container: CaseIterable {
        case gzip, zlib, raw

        var windowBits: Int32 {
            switch self {
            case .gzip: return 31
            case .zlib: return 15
            case .raw: return -15
            }
        }
    }

    /// Compresses `input` with zlib's deflate in the given container.
    static func compress(_ input: [UInt8], _ container: Container, level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let initStatus = deflateInit2_(
            &stream, level, Z_DEFLATED, container.windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        precondition(initStatus == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var input = input
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }

    static func sample(count: Int) -> [UInt8] {
        var random = OTLPTestRandom(seed: UInt64(count))
        // Half text-like (compressible), half random.
        return (0..<count).map { index in
            index.isMultiple(of: 2) ? UInt8(ascii: "a") + UInt8(index % 26) : UInt8.random(in: 0...255, using: &random)
        }
    }

    static func decompress(_ bytes: [UInt8], _ encoding: String, max: Int = 1 << 24) throws(DecompressionError)
        -> [UInt8]
    {
        let output = try BodyDecompression.decompress(ByteBuffer(bytes: bytes), encoding: encoding, maxOutputBytes: max)
        return Array(output.readableBytesView)
    }

    @Test(arguments: ["gzip", "x-gzip", "GZIP", " gzip "], [0, 1, 100, 70_000, 300_000])
    func gzipRoundTrips(encoding: String, size: Int) throws {
        let original = Self.sample(count: size)
        #expect(try Self.decompress(Self.compress(original, .gzip), encoding) == original)
    }

    @Test(arguments: [Container.zlib, .raw], [1, 5000, 200_000])
    func deflateRoundTripsWithAndWithoutZlibWrapper(container: Container, size: Int) throws {
        let original = Self.sample(count: size)
        #expect(try Self.decompress(Self.compress(original, container), "deflate") == original)
    }

    @Test func concatenatedGzipMembersDecodeInOrder() throws {
        let first = Array("first member, ".utf8)
        let second = Array("second member".utf8)
        let body = Self.compress(first, .gzip) + Self.compress(second, .gzip)
        #expect(try Self.decompress(body, "gzip") == first + second)
    }

    @Test(arguments: ["identity", "", "Identity"])
    func identityReturnsTheBodyUnchanged(encoding: String) throws {
        let body: [UInt8] = [1, 2, 3, 0x1f, 0x8b]
        #expect(try Self.decompress(body, encoding) == body)
        #expect(throws: DecompressionError.tooLarge) { try Self.decompress(body, encoding, max: 4) }
    }

    @Test func gzipBombIsRejectedAsTooLarge() {
        let bomb = Self.compress([UInt8](repeating: 0, count: 50 << 20), .gzip, level: 9)
        #expect(bomb.count < 100_000)
        #expect(throws: DecompressionError.tooLarge) { try Self.decompress(bomb, "gzip", max: 1 << 20) }
        #expect(throws: DecompressionError.tooLarge) {
            try Self.decompress(Self.compress([UInt8](repeating: 0, count: 5 << 20), .zlib), "deflate", max: 1 << 20)
        }
    }

    @Test func outputExactlyAtTheLimitIsAccepted() throws {
        let original = Self.sample(count: 65_536 * 2)
        let body = Self.compress(original, .gzip)
        #expect(try Self.decompress(body, "gzip", max: original.count) == original)
        #expect(throws: DecompressionError.tooLarge) { try Self.decompress(body, "gzip", max: original.count - 1) }
        #expect(throws: DecompressionError.tooLarge) { try Self.decompress(body, "gzip", max: 0) }
    }

    @Test func corruptGzipIsRejected() {
        let good = Self.compress(Self.sample(count: 10_000), .gzip)
        var flipped = good
        flipped[good.count / 2] ^= 0xff
        #expect(throws: DecompressionError.corrupt) { try Self.decompress(flipped, "gzip") }
        var badCRC = good
        badCRC[good.count - 6] ^= 0x01
        #expect(throws: DecompressionError.corrupt) { try Self.decompress(badCRC, "gzip") }
        #expect(throws: DecompressionError.corrupt) { try Self.decompress(Array("not gzip at all".utf8), "gzip") }
        #expect(throws: DecompressionError.corrupt) { try Self.decompress(good + [0x00, 0x01], "gzip") }
        #expect(throws: DecompressionError.corrupt) { try Self.decompress(Array("plain".utf8), "deflate") }
    }

    @Test func everyTruncationOfAGzipBodyIsRejected() {
        let good = Self.compress(Self.sample(count: 3000), .gzip)
        for length in 1..<good.count {
            #expect(throws: DecompressionError.corrupt, "length \(length)") {
                try Self.decompress(Array(good[0..<length]), "gzip")
            }
        }
    }

    @Test func randomBytesNeverTrapTheDecompressor() {
        var random = OTLPTestRandom(seed: 0x6A1B)
        for _ in 0..<2000 {
            var bytes = random.bytes(count: Int.random(in: 0...200, using: &random))
            if bytes.count > 2, Bool.random(using: &random) {
                bytes[0] = 0x1f
                bytes[1] = 0x8b
            }
            _ = try? Self.decompress(bytes, Bool.random(using: &random) ? "gzip" : "deflate", max: 4096)
        }
    }

    @Test(arguments: ["br", "zstd", "snappy", "gzip, deflate"])
    func unknownEncodingIsUnsupported(encoding: String) {
        #expect(throws: DecompressionError.unsupportedEncoding(encoding)) { try Self.decompress([1], encoding) }
    }

    @Test func emptyBodyDecodesToEmpty() throws {
        #expect(try Self.decompress([], "gzip").isEmpty)
        #expect(try Self.decompress([], "deflate").isEmpty)
    }

    @Test func decompressedOTLPBodyDecodes() throws {
        let body = try OTLPFixtures.bytes("otlp-http-03.otlp.pb")
        let output = try BodyDecompression.decompress(
            ByteBuffer(bytes: Self.compress(body, .gzip)), encoding: "gzip", maxOutputBytes: 1 << 20)
        #expect(try OTLPDecoder.decodeProtobuf(output).first?.operationName == "GET /checkout")
    }
}
