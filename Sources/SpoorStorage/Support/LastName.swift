/// The number of the name looked up last: spans of one service come in runs, so most lookups of a request's services
/// end here, with one string comparison instead of a hash and a probe.
struct LastName {
    private var last: (name: String, id: UInt32)?

    /// The number of `name`: the last one's while the name repeats, else `numbering(name)`, remembered.
    @inline(__always)
    mutating func id(_ name: String, numbering: (String) -> UInt32) -> UInt32 {
        // By bytes, not `==`: canonically equivalent spellings are different names (see `ExactString`). The spans of one
        // process usually share one string, so its bits are compared first.
        if let last, Self.sameBits(last.name, name) || ExactString(last.name) == ExactString(name) { return last.id }
        let id = numbering(name)
        last = (name, id)
        return id
    }

    /// Whether two strings are the same value bit for bit: the same small-string bytes and count, or the same storage
    /// object with the same count and flags. Either way, the same bytes.
    @inline(__always)
    private static func sameBits(_ a: String, _ b: String) -> Bool {
        let (a0, a1) = unsafeBitCast(a, to: (UInt64, UInt64).self)
        let (b0, b1) = unsafeBitCast(b, to: (UInt64, UInt64).self)
        return a0 == b0 && a1 == b1
    }
}
