/// A bounded open-addressing map from well-mixed 64-bit keys to 32-bit values, for tables of hundreds of
/// thousands of entries touched once or twice per span (the dependency tracker's remembered spans).
///
/// A `Dictionary` rehashes every key with SipHash and allocates per resize; here the key is already a seeded hash
/// (`WordHash.mix` of a secret seed and the client's ids), so its low bits pick the slot and a lookup is one or two
/// cache lines. Linear probing; removal shifts the following entries back, so there are no tombstones. Key 0 marks an
/// empty slot: a key of 0 is stored as 1 (two keys of 2^64 then share a slot, as any two colliding hashes would).
///
/// It starts small and doubles as it fills (at most half full): a table that holds few entries, such as children
/// waiting for their parent, stays in cache.
struct KeyTable {
    private var keys: [UInt64]
    private var values: [UInt32]
    private var mask: Int
    /// Entries held.
    private(set) var count = 0
    /// Entries it takes before `isFull`.
    let limit: Int

    /// An empty table for up to `limit` entries.
    init(limit: Int) {
        self.limit = max(1, limit)
        keys = [UInt64](repeating: 0, count: 16)
        values = [UInt32](repeating: 0, count: 16)
        mask = 15
    }

    /// Doubles the slots and places every entry again.
    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [UInt32](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        for index in oldKeys.indices where oldKeys[index] != 0 {
            var slot = Int(truncatingIfNeeded: oldKeys[index]) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[index]
            values[slot] = oldValues[index]
        }
    }

    /// Whether it holds `limit` entries: an insert of a new key would overload it.
    var isFull: Bool { count >= limit }
    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    /// The slot of `key`, or of the empty slot where it would go.
    @inline(__always)
    private func slot(of key: UInt64) -> (slot: Int, found: Bool) {
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let here = keys[slot]
            if here == key { return (slot, true) }
            if here == 0 { return (slot, false) }
            slot = (slot + 1) & mask
        }
    }

    /// The value of `key`, or nil.
    func value(_ key: UInt64) -> UInt32? {
        let (slot, found) = slot(of: Self.stored(key))
        return found ? values[slot] : nil
    }

    /// Sets the value of `key`. Inserting a new key into a full table is a programming error.
    mutating func set(_ key: UInt64, _ value: UInt32) {
        let key = Self.stored(key)
        var (slot, found) = slot(of: key)
        if !found {
            precondition(count < limit, "KeyTable over its limit")
            if (count + 1) * 2 > keys.count {
                grow()
                slot = self.slot(of: key).slot
            }
            keys[slot] = key
            count += 1
        }
        values[slot] = value
    }

    /// Removes `key` and returns its value, or nil when absent.
    mutating func remove(_ key: UInt64) -> UInt32? {
        let (found, present) = slot(of: Self.stored(key))
        guard present else { return nil }
        let removed = values[found]
        // Backward shift: move each following entry of the probe run into the hole when its home slot allows it.
        var hole = found
        var next = (hole + 1) & mask
        while keys[next] != 0 {
            let home = Int(truncatingIfNeeded: keys[next]) & mask
            // The entry at `next` may move to `hole` unless its home lies cyclically in (hole, next].
            if (next - home) & mask >= (next - hole) & mask {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        keys[hole] = 0
        count -= 1
        return removed
    }

    /// Empties the table, keeping its memory (the next generation of a tracker fills it as far again).
    mutating func removeAll() {
        guard count > 0 else { return }
        for index in keys.indices { keys[index] = 0 }
        count = 0
    }

    /// Memory held.
    var memoryBytes: Int { keys.count * 12 }
}
