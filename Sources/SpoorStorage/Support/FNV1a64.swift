/// 64-bit FNV-1a: stable across processes (unlike `Hasher`), for content-derived key suffixes and map keys.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always)
    mutating func add(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x100_0000_01b3
    }

    /// Adds the eight bytes of `word`, least significant first.
    mutating func add(littleEndian word: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { add(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hasher = FNV1a64()
        for byte in bytes { hasher.add(byte) }
        return hasher.value
    }
}
