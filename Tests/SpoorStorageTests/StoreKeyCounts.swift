@testable import SpoorStorage

extension SpanStore {
    /// Entries of the empty tenant whose type byte is in `types`, across every bucket (or in `family` alone).
    func keyCount(types: ClosedRange<UInt8>, in family: ColumnFamily? = nil) throws -> Int {
        var count = 0
        for family in family.map({ [$0] }) ?? allBuckets.map(\.family) {
            try database.scan(family, lower: [0, types.lowerBound], upper: [0, types.upperBound + 1]) { _, _ in
                count += 1
                return true
            }
        }
        return count
    }

    /// The sequence of the first index journal entry, if any.
    func firstJournalSequence() throws -> UInt64? {
        var sequence: UInt64?
        let prefix = Keys.storeKeyPrefix(Keys.indexJournalTag)
        try database.scan(catalogFamily, lower: prefix, upper: Keys.upperBound(of: prefix)) { key, _ in
            sequence = Keys.parseIndexJournal(key)
            return false
        }
        return sequence
    }
}

extension PostingGroups {
    /// Adds one posting under the prefix that `build` appends to an empty buffer (hand-made groups for the tests).
    mutating func add(_ posting: Posting, bucket: BucketRef, withDurations: Bool = false, prefix build: (inout [UInt8]) -> Void) {
        var prefix: [UInt8] = []
        build(&prefix)
        addPrefix(of: prefix, posting: posting, bucket: bucket, withDurations: withDurations)
    }
}
