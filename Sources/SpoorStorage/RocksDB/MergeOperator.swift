import CRocksDB

#if canImport(Glibc)
import Glibc
#endif

/// A merge operator written in Swift: `merge` folds operands (oldest first) into one value.
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
                { _, _, _, existing, existingLength, operands, operandLengths, count, success, newLength in
                    var parts: [UnsafeRawBufferPointer] = []
                    if let existing { parts.append(UnsafeRawBufferPointer(start: existing, count: existingLength)) }
                    if let operands, let operandLengths {
                        for i in 0..<Int(count) {
                            if let operand = operands[i] {
                                parts.append(UnsafeRawBufferPointer(start: operand, count: operandLengths[i]))
                            }
                        }
                    }
                    return MergeOperatorSpec.output(TraceSummary.merge(parts), success: success, length: newLength)
                },
                { _, _, _, operands, operandLengths, count, success, newLength in
                    var parts: [UnsafeRawBufferPointer] = []
                    if let operands, let operandLengths {
                        for i in 0..<Int(count) {
                            if let operand = operands[i] {
                                parts.append(UnsafeRawBufferPointer(start: operand, count: operandLengths[i]))
                            }
                        }
                    }
                    return MergeOperatorSpec.output(TraceSummary.merge(parts), success: success, length: newLength)
                },
                { _, value, _ in free(UnsafeMutableRawPointer(mutating: value)) },
                { _ in MergeOperatorSpec.summaryName }
            )
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
