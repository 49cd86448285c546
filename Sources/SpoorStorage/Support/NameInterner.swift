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
    /// Each name's UTF-8 bytes, back to back (compared in place: no string is touched on a lookup), and where each
    /// name's bytes end, by id.
    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    private(set) var all: [String] = []
    /// UTF-8 bytes of the names held.
    var byteCount: Int { bytes.count }

    private static let seed = UInt64.random(in: .min ... .max)

    mutating func id(_ name: String) -> UInt32 {
        var text = name
        return text.withUTF8 { utf8 in id(UnsafeRawBufferPointer(utf8), name: name) }
    }

    /// The id of `name` when it is held (nothing is added).
    func existing(_ name: String) -> UInt32? {
        guard !slots.isEmpty else { return nil }
        var text = name
        return text.withUTF8 { utf8 in
            let raw = UnsafeRawBufferPointer(utf8)
            return find(raw, hash: WordHash.table(raw, seed: Self.seed)).id
        }
    }

    private mutating func id(_ name: UnsafeRawBufferPointer, name string: String) -> UInt32 {
        if (all.count + 1) * 4 > slots.count * 3 { grow() }
        let hash = WordHash.table(name, seed: Self.seed)
        let (slot, found) = find(name, hash: hash)
        if let found { return found }
        slots[slot] = UInt32(all.count + 1)
        hashes.append(hash)
        bytes.append(contentsOf: name)
        ends.append(bytes.count)
        all.append(string)
        return UInt32(all.count - 1)
    }

    /// The slot holding `name` with its id, or the empty slot where it would go. The table must have a free slot.
    private func find(_ name: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, id: UInt32?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return bytes.withUnsafeBytes { known in
            while true {
                let entry = slots[slot]
                if entry == 0 { return (slot, nil) }
                let id = Int(entry) - 1
                if hashes[id] == hash {
                    let start = id == 0 ? 0 : ends[id - 1]
                    if ends[id] - start == name.count,
                        name.isEmpty || memcmp(known.baseAddress! + start, name.baseAddress!, name.count) == 0
                    {
                        return (slot, UInt32(id))
                    }
                }
                slot = (slot + 1) & mask
            }
        }
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
