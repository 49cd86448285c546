import SpoorModel

/// The number of the name looked up last: spans of one service come in runs, so most lookups of a request's services
/// end here, with one string comparison instead of a hash and a probe.
struct LastName {
    private var last: (name: String, id: UInt32)?

    /// The number of `name`: the last one's while the name repeats, else `numbering(name)`, remembered.
    @inline(__always)
    mutating func id(_ name: String, numbering: (String) -> UInt32) -> UInt32 {
        // By bytes, not `==`: canonically equivalent spellings are different names.
        if let last, last.name.hasSameUTF8(as: name) { return last.id }
        let id = numbering(name)
        last = (name, id)
        return id
    }
}
