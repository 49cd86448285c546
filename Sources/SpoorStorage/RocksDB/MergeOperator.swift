import CRocksDB

#if canImport(Glibc)
import Glibc
#endif

/// A merge operator written in Swift: folds operands (oldest first) into one value, by the key's type.
///
/// The C callbacks cannot capture, so the operator is a static function chosen by `kind`.
package struct MergeOperatorSpec: Sendable {
    /// Which merge function to install.
    package enum Kind: Sendable { case traceSummary }
    package var kind: Kind

    /// Creates a spec.
    package init(kind: Kind) { self.kind = kind }

    func make() -> OpaquePointer? {
        switch kind {
        case .traceSummary:
            return rocksdb_mergeoperator_create(
                nil, { _ in },
                { _, key, keyLength, existing, existingLength, operands, operandLengths, count, success, newLength in
                    var parts: [UnsafeRawBufferPointer] = []
                    if let existing { parts.append(UnsafeRawBufferPointer(start: existing, count: existingLength)) }
                    MergeOperatorSpec.collect(operands, operandLengths, count, into: &parts)
                    return MergeOperatorSpec.output(
                        MergeOperatorSpec.merge(key: key, keyLength: keyLength, parts), success: success, length: newLength)
                },
                { _, key, keyLength, operands, operandLengths, count, success, newLength in
                    var parts: [UnsafeRawBufferPointer] = []
                    MergeOperatorSpec.collect(operands, operandLengths, count, into: &parts)
                    return MergeOperatorSpec.output(
                        MergeOperatorSpec.merge(key: key, keyLength: keyLength, parts), success: success, length: newLength)
                },
                { _, value, _ in free(UnsafeMutableRawPointer(mutating: value)) },
                { _ in MergeOperatorSpec.summaryName }
            )
        }
    }

    private static func collect(
        _ operands: UnsafePointer<UnsafePointer<CChar>?>?, _ lengths: UnsafePointer<Int>?, _ count: Int32,
        into parts: inout [UnsafeRawBufferPointer]
    ) {
        guard let operands, let lengths else { return }
        for i in 0..<Int(count) {
            if let operand = operands[i] { parts.append(UnsafeRawBufferPointer(start: operand, count: lengths[i])) }
        }
    }

    /// Picks the merge by the key's type: dependency counters add up, rollups add up, slot posting lists concatenate,
    /// everything else is a summary.
    private static func merge(key: UnsafePointer<CChar>?, keyLength: Int, _ parts: [UnsafeRawBufferPointer]) -> [UInt8] {
        let tag = key.flatMap { Keys.typeTag(UnsafeRawBufferPointer(start: $0, count: keyLength)) }
        switch tag {
        case Keys.dependencyMinuteTag, Keys.dependencyHourTag: return CounterValue.merge(parts)
        case Keys.rollupMinuteTag, Keys.rollupHourTag: return SpanRollup.merge(parts)
        case Keys.servicePostingsTag, Keys.operationPostingsTag, Keys.tagPostingsTag, Keys.durationPostingsTag:
            return PostingList.mergeSlotLists(parts, withDurations: tag == Keys.durationPostingsTag)
        default: return TraceSummary.merge(parts)
        }
    }

    private static let summaryNameLiteral: StaticString = "spoor.trace-summary.v1"
    private static var summaryName: UnsafePointer<CChar> {
        UnsafeRawPointer(summaryNameLiteral.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    private static func output(
        _ bytes: [UInt8], success: UnsafeMutablePointer<UInt8>?, length: UnsafeMutablePointer<Int>?
    ) -> UnsafeMutablePointer<CChar>? {
        guard let buffer = malloc(max(bytes.count, 1)) else {
            success?.pointee = 0
            return nil
        }
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
        }
        success?.pointee = 1
        length?.pointee = bytes.count
        return buffer.assumingMemoryBound(to: CChar.self)
    }
}
