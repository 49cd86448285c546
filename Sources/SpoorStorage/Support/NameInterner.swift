/// Names numbered in order of first use.
struct NameInterner: Sendable {
    private var ids: [ExactString: UInt32] = [:]
    private(set) var all: [String] = []
    /// UTF-8 bytes of the names held.
    private(set) var byteCount = 0

    mutating func id(_ name: String) -> UInt32 {
        if let id = ids[ExactString(name)] { return id }
        let id = UInt32(all.count)
        ids[ExactString(name)] = id
        all.append(name)
        byteCount += name.utf8.count
        return id
    }

    func name(_ id: UInt32) -> String { all[Int(id)] }
}
