import SpoorModel

#if canImport(Glibc)
import Glibc
#endif

extension SpanStore {
    /// Links from spans starting in `[startNanos, endNanos]`, equal (parent, child) merged, sorted by parent then child.
    ///
    /// Whole hours inside the window are read from hour slots, the edges from minute slots, so a week costs about
    /// 170 hour entries per pair instead of 10,080 minutes. The window is resolved to whole minutes.
    package func dependencies(tenant: String, startNanos: UInt64, endNanos: UInt64) throws(StorageError) -> [DependencyLink] {
        guard startNanos <= endNanos else { return [] }
        let firstMinute = startNanos / 1_000_000_000 / 60 * 60
        let lastMinute = endNanos / 1_000_000_000 / 60 * 60
        // Hours [firstHour, endHour) lie wholly inside [firstMinute, lastMinute + 60).
        let firstHour = (firstMinute + 3599) / 3600 * 3600
        let endHour = (lastMinute + 60) / 3600 * 3600
        var counts: [PairKey: UInt64] = [:]
        if firstHour < endHour {
            try addDependencies(tenant: tenant, resolution: .hour, from: firstHour, to: endHour - 1, into: &counts)
            if firstMinute < firstHour {
                try addDependencies(tenant: tenant, resolution: .minute, from: firstMinute, to: firstHour - 1, into: &counts)
            }
            if endHour <= lastMinute {
                try addDependencies(tenant: tenant, resolution: .minute, from: endHour, to: lastMinute, into: &counts)
            }
        } else {
            try addDependencies(tenant: tenant, resolution: .minute, from: firstMinute, to: lastMinute, into: &counts)
        }
        return counts.sorted { ($0.key.parent, $0.key.child) < ($1.key.parent, $1.key.child) }
            .map { DependencyLink(parent: $0.key.parent.value, child: $0.key.child.value, callCount: $0.value) }
    }

    /// Rollups of `service` (spans of those kinds; an empty set means every kind) for slots starting in
    /// `[startNanos, endNanos)` at `resolution`, entries with equal (slot, operation, kind) summed across buckets;
    /// sorted by slot, operation, kind.
    package func rollups(
        tenant: String, service: String, kinds: Set<SpanKind>, startNanos: UInt64, endNanos: UInt64,
        resolution: RollupResolution
    ) throws(StorageError) -> [RollupSlot] {
        guard startNanos < endNanos else { return [] }
        let width = resolution.seconds
        let firstSlot = (startNanos / 1_000_000_000 + (startNanos % 1_000_000_000 == 0 ? 0 : 1) + width - 1) / width * width
        let endSeconds = endNanos / 1_000_000_000 + (endNanos % 1_000_000_000 == 0 ? 0 : 1)
        guard firstSlot < endSeconds else { return [] }
        let prefix = Keys.rollupPrefix(tenant: tenant, resolution: resolution, service: service)
        var lower = prefix
        Keys.appendUInt64(firstSlot, to: &lower)
        var upper = prefix
        Keys.appendUInt64(endSeconds, to: &upper)
        var slots: [SlotKey: SpanRollup] = [:]
        func add(slot: UInt64, kind: SpanKind, operation: String, _ rollup: SpanRollup) {
            guard slot >= firstSlot, slot < endSeconds, kinds.isEmpty || kinds.contains(kind) else { return }
            slots[SlotKey(slot: slot, operation: ExactString(operation), kind: kind), default: SpanRollup()].merge(rollup)
        }
        // Pending rollups and the store are read between two looks at the flush sequence: a flush writes the pending
        // rollups, then clears them, and a read overlapping it could count them twice, so that read is repeated.
        var attempt = 0
        while true {
            slots = [:]
            attempt += 1
            let (unflushed, flushes) = pending.withLock {
                (
                    $0.rollupSlots(tenant: tenant, service: service, resolution: resolution, firstSlot: firstSlot, endSlot: endSeconds),
                    $0.flushes
                )
            }
            if flushes % 2 == 1, attempt < Self.flushWaitAttempts {  // a flush is writing: wait for it
                usleep(Self.flushWaitMicros)
                continue
            }
            for entry in unflushed { add(slot: entry.slot, kind: entry.kind, operation: entry.operation, entry.rollup) }
            // A slot's entries live in the buckets its spans started in: every bucket overlapping the slots' time.
            for bucket in buckets(overlapping: firstSlot &* 1_000_000_000, endSeconds &* 1_000_000_000) {
                do {
                    try database.scan(bucket.family, lower: lower, upper: upper) { key, value in
                        guard let parsed = Keys.parseRollup(key, prefixLength: prefix.count) else { return true }
                        guard let rollup = SpanRollup(value) else { throw StorageError.corrupt("rollup value") }
                        add(slot: parsed.slot, kind: parsed.kind, operation: parsed.operation, rollup)
                        return true
                    }
                } catch {
                    throw StorageError.wrapping(error)
                }
            }
            if pending.withLock({ $0.flushes }) == flushes || attempt >= Self.flushWaitAttempts { break }
        }
        return slots.sorted {
            guard $0.key.slot == $1.key.slot else { return $0.key.slot < $1.key.slot }
            let order = $0.key.operation.value.compareUTF8($1.key.operation.value)
            return order != 0 ? order < 0 : $0.key.kind.rawValue < $1.key.kind.rawValue
        }
            .map {
                RollupSlot(slotStartSeconds: $0.key.slot, operation: $0.key.operation.value, kind: $0.key.kind, rollup: $0.value)
            }
    }

    /// How often, and how long each time, a rollup read waits for a flush that is writing (about 2 s in all; then
    /// it answers with what it read).
    static let flushWaitAttempts = 1_000
    static let flushWaitMicros: UInt32 = 2_000

    private func addDependencies(
        tenant: String, resolution: RollupResolution, from firstSlot: UInt64, to lastSlot: UInt64, into counts: inout [PairKey: UInt64]
    ) throws(StorageError) {
        let prefix = Keys.dependencyPrefix(tenant: tenant, resolution: resolution)
        var lower = prefix
        Keys.appendUInt64(firstSlot, to: &lower)
        var upper = prefix
        Keys.appendUInt64(lastSlot + 1, to: &upper)
        let slotEnd = (lastSlot + resolution.seconds) &* 1_000_000_000
        for bucket in buckets(overlapping: firstSlot &* 1_000_000_000, slotEnd) {
            do {
                try database.scan(bucket.family, lower: lower, upper: upper) { key, value in
                    guard let parsed = Keys.parseDependency(key, prefixLength: prefix.count) else { return true }
                    guard let count = CounterValue.decode(value) else { throw StorageError.corrupt("dependency value") }
                    counts[PairKey(parent: ExactString(parsed.parent), child: ExactString(parsed.child)), default: 0] &+= count
                    return true
                }
            } catch {
                throw StorageError.wrapping(error)
            }
        }
    }
}

/// Services compare by their UTF-8 bytes, as the keys they were read from do.
private struct PairKey: Hashable {
    var parent: ExactString
    var child: ExactString
}

/// Operations compare by their UTF-8 bytes, as the keys they were read from do.
private struct SlotKey: Hashable {
    var slot: UInt64
    var operation: ExactString
    var kind: SpanKind
}
