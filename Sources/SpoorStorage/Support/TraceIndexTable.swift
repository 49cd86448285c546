import SpoorModel

/// Numbers trace ids densely in the order first inserted: an open-addressing table for the per-posting lookups of an
/// index flush and the candidate sets of a search, where `Dictionary`'s per-lookup `Hasher` showed in profiles.
///
/// The hash is seeded per process, so trace ids chosen by a client cannot be made to collide.
package struct TraceIndexTable: Sendable {
    /// Index + 1 of the id in `ids` (0: empty slot); the count is a power of two.
    private var slots: [UInt32]
    /// The ids, in insertion order: an id's index is its position here.
    package private(set) var ids: [TraceID] = []

    private static let seed = UInt64.random(in: .min ... .max)

    /// An empty table sized for about `capacity` ids.
    package init(capacity: Int = 0) {
        var size = 16
        while size * 3 < max(capacity, 1) * 4 { size *= 2 }
        slots = [UInt32](repeating: 0, count: size)
        ids.reserveCapacity(capacity)
    }

    package var count: Int { ids.count }

    @inline(__always)
    private static func hash(_ id: TraceID) -> Int {
        Int(truncatingIfNeeded: WordHash.mix(WordHash.mix(id.high ^ seed) ^ id.low))
    }

    /// The index of `id`, added when new.
    @inline(__always)
    package mutating func insert(_ id: TraceID) -> (index: Int, inserted: Bool) {
        if (ids.count + 1) * 4 > slots.count * 3 { grow() }
        let mask = slots.count - 1
        var slot = Self.hash(id) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 {
                ids.append(id)
                slots[slot] = UInt32(ids.count)
                return (ids.count - 1, true)
            }
            if ids[Int(entry) - 1] == id { return (Int(entry) - 1, false) }
            slot = (slot + 1) & mask
        }
    }

    /// The index of `id`, or nil.
    @inline(__always)
    package func index(of id: TraceID) -> Int? {
        let mask = slots.count - 1
        var slot = Self.hash(id) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if ids[Int(entry) - 1] == id { return Int(entry) - 1 }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for (index, id) in ids.enumerated() {
            var slot = Self.hash(id) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(index + 1)
        }
    }
}
