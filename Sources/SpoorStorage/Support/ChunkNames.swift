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
/// Retention drops a bucket's names with its family (`drop`).
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
        /// By exact bytes: canonically equivalent spellings are different names.
        var numbers: [ExactString: UInt32] = [:]
        /// By number ("" for a number whose entry was lost in a crash before being written: no chunk refers to it).
        var names: [String] = []
        var durable: [Bool] = []
        var bytes = 0
    }

    private let tables = Mutex<[UInt64: Table]>([:])

    init() {}

    /// The number of `name` in `bucket`, handed out when new, and whether its entry is durable; nil when the name is
    /// not shared (too long, or the bucket's table is full for it).
    func number(of name: String, bucket: UInt64, isValue: Bool) -> (number: UInt32, durable: Bool)? {
        let length = name.utf8.count
        guard length <= Self.maxNameBytes else { return nil }
        return tables.withLock { tables in
            if let table = tables[bucket], let known = table.numbers[ExactString(name)] { return (known, table.durable[Int(known)]) }
            return Self.add(name, length: length, limit: isValue ? Self.maxBytes / 2 : Self.maxBytes, to: &tables[bucket, default: Table()])
        }
    }

    /// Numbers a new name (in place: the table is not copied).
    private static func add(_ name: String, length: Int, limit: Int, to table: inout Table) -> (number: UInt32, durable: Bool)? {
        guard table.names.count < maxNames, table.bytes + length <= limit else { return nil }
        let number = UInt32(table.names.count)
        table.numbers[ExactString(name)] = number
        table.names.append(name)
        table.durable.append(false)
        table.bytes += length
        return (number, false)
    }

    /// Records that a batch holding these entries is in the WAL.
    func markDurable(_ entries: [Pending]) {
        guard !entries.isEmpty else { return }
        tables.withLock { tables in
            for entry in entries where Int(entry.number) < tables[entry.bucket.start]?.durable.count ?? 0 {
                tables[entry.bucket.start]?.durable[Int(entry.number)] = true
            }
        }
    }

    /// The names of a bucket by number (a snapshot: numbers handed out later are not in it).
    func names(bucket: UInt64) -> [String] {
        tables.withLock { $0[bucket]?.names ?? [] }
    }

    /// Loads a bucket's stored names (at open, before any write or read).
    func load(bucket: UInt64, _ stored: [(UInt32, String)]) {
        guard !stored.isEmpty else { return }
        var table = Table()
        let count = Int(stored.map(\.0).max()!) + 1
        table.names = [String](repeating: "", count: count)
        table.durable = [Bool](repeating: true, count: count)
        for (number, name) in stored {
            table.names[Int(number)] = name
            table.numbers[ExactString(name)] = number
            table.bytes += name.utf8.count
        }
        tables.withLock { $0[bucket] = table }
    }

    /// Forgets a dropped bucket's names.
    func drop(bucket: UInt64) {
        _ = tables.withLock { $0.removeValue(forKey: bucket) }
    }
}
