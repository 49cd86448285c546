/// A fast 64-bit hash that reads eight bytes at a time. With the default seed it is stable across processes and
/// machines (unlike `Hasher`), for content-derived key suffixes; in-memory tables of client-chosen keys pass a random
/// seed.
enum WordHash {
    static let defaultSeed: UInt64 = 0x9E37_79B9_7F4A_7C15

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }

    static func hash(_ raw: UnsafeRawBufferPointer, seed: UInt64 = defaultSeed) -> UInt64 {
        var h = seed ^ UInt64(raw.count)
        var offset = 0
        while offset + 8 <= raw.count {
            h = mix(h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        if offset < raw.count {
            var tail: UInt64 = 0
            for i in offset..<raw.count { tail |= UInt64(raw[i]) << UInt64(8 * (i - offset)) }
            h = mix(h ^ tail)
        }
        return mix(h)
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var h = value &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        h = h &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }
}
