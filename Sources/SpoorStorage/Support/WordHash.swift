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

    /// A hash for in-memory tables keyed by client-chosen bytes (pass a random seed): like `hash`, but it reads the
    /// bytes past the last whole word as one overlapping word (or two half words), not byte by byte. Not stable across
    /// releases: never store it.
    @inline(__always)
    static func table(_ raw: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let count = raw.count
        var h = seed ^ UInt64(count)
        guard let base = raw.baseAddress, count > 0 else { return mix(h) }
        if count >= 8 {
            var offset = 0
            while offset + 8 < count {
                h = mix(h ^ UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            h = mix(h ^ UInt64(littleEndian: base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)))
        } else if count >= 4 {
            let head = UInt64(UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
            let tail = UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
            h = mix(h ^ (head << 32 | tail))
        } else {
            let bytes = base.assumingMemoryBound(to: UInt8.self)
            h = mix(h ^ (UInt64(bytes[0]) << 16 | UInt64(bytes[count / 2]) << 8 | UInt64(bytes[count - 1])))
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
