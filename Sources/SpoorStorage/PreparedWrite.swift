import SpoorModel

/// Spans encoded by `SpanStore.prepare`, ready for the writer.
package struct PreparedWrite: Sendable {
    package struct Entry: Sendable {
        var bucket: BucketRef
        var key: [UInt8]
        var value: [UInt8]
        var isMerge = false
        /// The spans of a span record (0 for anything else): counted when the record expires before being written.
        var spanCount = 0
        /// The key's first 8 bytes as a big-endian integer, zero-padded: ordering by it first, and by the whole key
        /// only on a tie, is ordering bytewise by key, with fewer `memcmp` calls and array accesses.
        let keyHead: UInt64

        init(bucket: BucketRef, key: [UInt8], value: [UInt8], isMerge: Bool = false, spanCount: Int = 0) {
            self.bucket = bucket
            self.key = key
            self.value = value
            self.isMerge = isMerge
            self.spanCount = spanCount
            var head: UInt64 = 0
            for index in 0..<8 { head = head << 8 | UInt64(index < key.count ? key[index] : 0) }
            self.keyHead = head
        }

        /// The order entries go into a write batch: by bucket, then bytewise by key.
        static func inBatchOrder(_ a: Entry, _ b: Entry) -> Bool {
            inBatchOrder(a.bucket.start, a.keyHead, b.bucket.start, b.keyHead) { Keys.less(a.key, b.key) }
        }

        /// The batch order from an entry's bucket and key head; `keyLess` compares the whole keys, only on a tie.
        @inline(__always)
        static func inBatchOrder(
            _ bucketA: UInt64, _ headA: UInt64, _ bucketB: UInt64, _ headB: UInt64, keyLess: () -> Bool
        ) -> Bool {
            if bucketA != bucketB { return bucketA < bucketB }
            if headA != headB { return headA < headB }
            return keyLess()
        }

        /// `entries` in batch order. Sorts positions rather than the entries, which would retain and release their
        /// key and value arrays on every move.
        static func sortedInBatchOrder(_ entries: [Entry]) -> [Entry] {
            let order = entries.indices.sorted { i, j in
                inBatchOrder(entries[i].bucket.start, entries[i].keyHead, entries[j].bucket.start, entries[j].keyHead) {
                    Keys.less(entries[i].key, entries[j].key)
                }
            }
            return order.map { entries[$0] }
        }
    }

    package var tenant: String
    var entries: [Entry] = []
    /// The index postings of these spans grouped by index key: the writer adds them to the pending index.
    var postings = PostingGroups()
    /// The Monitor rollups of these spans: the writer adds them to the pending index.
    var rollups = PendingRollups()
    /// The summaries of these spans' traces, one per chunk: the writer adds them to the pending index.
    var summaries = PendingSummaries()
    /// The journal value (`IndexJournal`) naming the chunks written, stored with them so a restart can derive the
    /// postings again.
    var journal: [UInt8] = []
    /// The shared chunk names this write carries (not yet durable when prepared), marked durable once it is written.
    var names: [ChunkNames.Pending] = []
    var catalog: Set<CatalogEntry> = []
    /// The spans' identities, for the dependency tracker.
    var edgeSpans: [EdgeSpan] = []
    /// Spans in this write.
    package var spanCount = 0
    /// Estimated memory held by this write (keys, values and bookkeeping), for the queue's memory bound.
    package var byteCount = 0

    /// Bookkeeping per entry beyond its key and value bytes: the entry itself and two array headers.
    static let entryOverheadBytes = 96
    /// Bookkeeping per span beyond its entries: its dependency-tracker identity.
    static let spanOverheadBytes = 80

    init(tenant: String) { self.tenant = tenant }
}

/// What a write stored.
package struct WriteResult: Sendable, Equatable {
    /// Spans written.
    package var storedSpans = 0
    /// Spans skipped because their time bucket is already past retention.
    package var expiredSpans = 0
}
