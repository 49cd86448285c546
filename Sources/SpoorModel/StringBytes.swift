#if canImport(Glibc)
import Glibc
#endif

extension String {
    /// Whether the two strings hold the same UTF-8 bytes. Swift's `==` treats canonically equivalent spellings ("é" and
    /// "e" + U+0301) as equal; tenants, services, operations and tag values are told apart by their bytes, as the
    /// store's keys and Jaeger are.
    ///
    /// Strings that are the same value bit for bit (the same small-string bytes, or the same storage object with the
    /// same count and flags) answer without reading their bytes: the spans of one process share one decoded string.
    @inline(__always)
    package func hasSameUTF8(as other: String) -> Bool {
        let (a0, a1) = unsafeBitCast(self, to: (UInt64, UInt64).self)
        let (b0, b1) = unsafeBitCast(other, to: (UInt64, UInt64).self)
        if a0 == b0 && a1 == b1 { return true }
        guard utf8.count == other.utf8.count else { return false }
        var left = self
        var right = other
        return left.withUTF8 { l in
            right.withUTF8 { r in l.isEmpty || memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0 }
        }
    }
}

extension String {
    /// Whether the string's UTF-8 bytes sort before `other`'s: code-point order, as Go compares strings. `<` on
    /// `String` orders canonically equivalent spellings as equal, which leaves their order to the sort's input.
    @inline(__always)
    package func precedesInUTF8(_ other: String) -> Bool { compareUTF8(other) < 0 }

    /// The order of the two strings' UTF-8 bytes, in one pass: negative, zero (the same bytes) or positive.
    package func compareUTF8(_ other: String) -> Int {
        var left = self
        var right = other
        return left.withUTF8 { l in
            right.withUTF8 { r in
                let common = min(l.count, r.count)
                let order = common == 0 ? 0 : Int(memcmp(l.baseAddress!, r.baseAddress!, common))
                return order != 0 ? order : l.count - r.count
            }
        }
    }
}

extension Process {
    /// Whether `other` shares this process's storage: the same service string bit for bit and the same tags buffer.
    /// True implies the two are byte-equal (false implies nothing). The spans a decoder makes from one Jaeger batch or
    /// OTLP resource share one process this way, so a caller can reuse what it derived from the first. A caller that
    /// compares against a process it keeps (retained) cannot be fooled by a freed buffer's address being reused.
    @inline(__always)
    package func isSameInstance(as other: Process) -> Bool {
        let (a0, a1) = unsafeBitCast(serviceName, to: (UInt64, UInt64).self)
        let (b0, b1) = unsafeBitCast(other.serviceName, to: (UInt64, UInt64).self)
        guard a0 == b0, a1 == b1, tags.count == other.tags.count else { return false }
        let mine = tags.withUnsafeBufferPointer { $0.baseAddress }
        let theirs = other.tags.withUnsafeBufferPointer { $0.baseAddress }
        return mine == theirs
    }
}
