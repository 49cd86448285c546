import CRocksDB

/// An error reported by RocksDB's C API, or a misuse of the wrapper.
package struct RocksError: Error, CustomStringConvertible, Sendable {
    /// What the wrapper was doing.
    package var operation: String
    /// RocksDB's message.
    package var message: String

    package var description: String { "rocksdb \(operation): \(message)" }

    /// Runs `body` with a C `char **errptr`, turning a set error into a thrown `RocksError` and freeing it.
    static func check<T>(_ operation: String, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T) throws(RocksError) -> T {
        var err: UnsafeMutablePointer<CChar>? = nil
        let result = body(&err)
        if let err {
            let message = String(cString: err)
            rocksdb_free(err)
            throw RocksError(operation: operation, message: message)
        }
        return result
    }
}
