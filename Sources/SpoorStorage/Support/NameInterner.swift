#if canImport(Glibc)
import Glibc
#endif

/// Names numbered in order of first use, told apart by their exact UTF-8 bytes (as `ExactString`): every Unicode
/// spelling keeps its own number.
///
/// An open-addressing table over `WordHash` of the bytes, seeded per process so that names chosen by a client cannot
/// be made to collide; a `Dictionary` keyed by `ExactString` hashed every name with `Hasher` (SipHash), which showed in
/// the ingest profile (the chunk encoder numbers every key and short value of every span).
struct NameInterner: Sendable {
    /// Id + 1 of the name in each slot (0: empty); the count is a power of two.
    private var slots: [UInt32] = []
    /// Each name's hash, by id.
    private var hashes: [UInt64] = []
    private(set) var all: [String] = []
    /// UTF-8 bytes of the names held.
    private(set) var byteCount = 0

    private static let seed = UInt64.random(in: .min ... .max)

    mutating func id(_ name: String) -> UInt32 {
        var text = name
        return text.withUTF8 { utf8 in id(UnsafeRawBufferPointer(utf8), name: name) }
    }

    private mutating func id(_ bytes: UnsafeRawBufferPointer, name: String) -> UInt32 {
        if (all.count + 1) * 4 > slots.count * 3 { grow() }
        let hash = WordHash.hash(bytes, seed: Self.seed)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let id = Int(entry) - 1
            if hashes[id] == hash, Self.equal(all[id], bytes) { return UInt32(id) }
            slot = (slot + 1) & mask
        }
        slots[slot] = UInt32(all.count + 1)
        hashes.append(hash)
        all.append(name)
        byteCount += bytes.count
        return UInt32(all.count - 1)
    }

    private static func equal(_ known: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard known.utf8.count == bytes.count else { return false }
        var known = known
        return known.withUTF8 { utf8 in bytes.isEmpty || memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
    }

    private mutating func grow() {
        let size = max(64, slots.count * 2)
        slots = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for (id, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }

    func name(_ id: UInt32) -> String { all[Int(id)] }
}
