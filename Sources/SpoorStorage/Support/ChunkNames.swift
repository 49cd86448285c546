import Synchronization

/// Names shared by the span chunks of each bucket: tag keys, operation and service names, and tag values while there
/// is room, numbered per bucket and stored in the bucket's family (`Keys.chunkName`), so a chunk refers to a name by
/// its number instead of carrying it in its own string table.
///
/// Stable numbers across chunks are what let block compression find the repeats between spans; a chunk table
/// numbered per chunk gives every chunk different bytes for the same keys.
///
/// Durability: a number is handed out in memory (`number`) and is durable once a batch holding its name entry is in
/// the WAL. Every write whose chunks use a number not yet durable carries the name entry itself (writing it twice
/// is harmless), so a chunk never reaches the store without its names, and `markDurable` stops the repeats.
/// Retention forgets the names of dropped buckets (`dropBuckets`).
final class ChunkNames: Sendable {
    /// Names per bucket; a bucket past it keeps further strings in the chunks' own tables.
    static let maxNames = 1 << 16
    /// Name bytes per bucket (keys and names are admitted up to it, tag values up to half of it).
    static let maxBytes = 4 << 20
    /// Longer strings are never shared.
    static let maxNameBytes = 128

    /// A name entry a write must carry: its bucket, number and text.
    struct Pending: Sendable, Hashable {
        var bucket: BucketRef
        var number: UInt32
        var name: String
    }

    private struct Table {
        var end: UInt64
        /// By exact bytes: canonically equivalent spellings are different names.
        /// The names numbered, told apart by their exact bytes (as `ExactString`), and each one's number by id.
        var known = NameInterner()
        var numberOf: [UInt32] = []
        var names = SharedNames()
        var durable: [Bool] = []
        var bytes = 0
    }

    private struct State {
        var tables: [UInt64: Table] = [:]
        /// Buckets ending at or before this were dropped by retention: they get no table again.
        var droppedThrough: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// The number of `name` in `bucket`, handed out when new, and whether its entry is durable; nil when the name is
    /// not shared (too long, or the bucket's table is full for it).
    func number(of name: String, bucket: BucketRef, isValue: Bool) -> (number: UInt32, durable: Bool)? {
        let length = name.utf8.count
        guard length <= Self.maxNameBytes else { return nil }
        return state.withLock { state in
            if let table = state.tables[bucket.start], let id = table.known.existing(name) {
                let number = table.numberOf[Int(id)]
                return (number, table.durable[Int(number)])
            }
            guard bucket.endNanos > state.droppedThrough else { return nil }
            return Self.add(
                name, length: length, limit: isValue ? Self.maxBytes / 2 : Self.maxBytes,
                to: &state.tables[bucket.start, default: Table(end: bucket.endNanos)])
        }
    }

    /// Numbers a new name (in place: the table is not copied).
    private static func add(_ name: String, length: Int, limit: Int, to table: inout Table) -> (number: UInt32, durable: Bool)? {
        guard table.names.count < maxNames, table.bytes + length <= limit else { return nil }
        let number = UInt32(table.names.count)
        _ = table.known.id(name)
        table.numberOf.append(number)
        table.names.append(name)
        table.durable.append(false)
        table.bytes += length
        return (number, false)
    }

    /// Records that a batch holding these entries is in the WAL.
    func markDurable(_ entries: [Pending]) {
        guard !entries.isEmpty else { return }
        state.withLock { state in
            for entry in entries where Int(entry.number) < state.tables[entry.bucket.start]?.durable.count ?? 0 {
                state.tables[entry.bucket.start]?.durable[Int(entry.number)] = true
            }
        }
    }

    /// The names of a bucket by number: a snapshot, cheap to take and to keep (numbers handed out later are not in it,
    /// and later additions copy at most one segment).
    func names(bucket: UInt64) -> SharedNames {
        state.withLock { $0.tables[bucket]?.names ?? SharedNames() }
    }

    /// Loads a bucket's stored names (at open, before any write or read). Numbers past `maxNames` are corrupt and left
    /// out; a number never written (its write was lost in a crash, so no chunk refers to it) reads as "".
    func load(bucket: BucketRef, _ stored: [(UInt32, String)]) {
        let names = SharedNames(numbered: stored)
        guard names.count > 0 else { return }
        var table = Table(end: bucket.endNanos, names: names)
        for (number, name) in stored where Int(number) < names.count {
            let before = table.numberOf.count
            guard Int(table.known.id(name)) == before else { continue }  // a repeated name keeps its first number
            table.numberOf.append(number)
            table.bytes += name.utf8.count
        }
        table.durable = [Bool](repeating: true, count: names.count)
        state.withLock { $0.tables[bucket.start] = table }
    }

    /// Forgets the names of every bucket that ended at or before `cutoff` (nanoseconds): retention dropped them, and
    /// a write routed to one skips it.
    func dropBuckets(endingBy cutoff: UInt64) {
        state.withLock { state in
            state.tables = state.tables.filter { $0.value.end > cutoff }
            state.droppedThrough = max(state.droppedThrough, cutoff)
        }
    }
}

/// A bucket's shared names by number, in segments of 1,024: a snapshot shares the segments, and adding a name to a
/// table a reader holds copies one segment, not the whole table.
package struct SharedNames: Sendable {
    private var segments: [[String]] = []
    package private(set) var count = 0
    private static let segmentSize = 1024

    package init() {}

    /// Names stored with their numbers, in any order. A number never written (its write was lost in a crash, so no
    /// chunk refers to it) reads as ""; numbers past `ChunkNames.maxNames` are corrupt and left out.
    init(numbered stored: [(UInt32, String)]) {
        let valid = stored.filter { $0.0 < UInt32(ChunkNames.maxNames) }
        guard let highest = valid.map(\.0).max() else { return }
        var byNumber = [String](repeating: "", count: Int(highest) + 1)
        for (number, name) in valid { byNumber[Int(number)] = name }
        for name in byNumber { append(name) }
    }

    mutating func append(_ name: String) {
        if count % Self.segmentSize == 0 {
            segments.append([])
            segments[segments.count - 1].reserveCapacity(Self.segmentSize)
        }
        segments[segments.count - 1].append(name)
        count += 1
    }

    package subscript(number: Int) -> String {
        segments[number / Self.segmentSize][number % Self.segmentSize]
    }
}
