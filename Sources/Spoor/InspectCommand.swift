import ArgumentParser
import Logging
import SpoorStorage

/// `spoor inspect`: flush and compact a (stopped) store, then report spans and bytes at rest.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Compact a stopped store and print span count and bytes on disk per span.")

    @Option(name: .customLong("data-dir"), help: "Directory of the store (the server must be stopped).")
    var dataDir = "./data"

    @Flag(help: "Skip the full compaction.")
    var noCompact = false

    func run() async throws {
        var configuration = StoreConfiguration()
        configuration.retentionNanos = .max / 2  // inspecting never expires anything
        let store = try SpanStore(path: dataDir, configuration: configuration, logger: Logger(label: "spoor-inspect"))
        defer { store.close() }
        try store.database.flushAll()
        if !noCompact { store.database.compactAll() }
        let stats = try store.statistics()
        print("buckets: \(stats.buckets)")
        print("spans: \(stats.spans)")
        print("sst bytes: \(stats.sstBytes)")
        if stats.spans > 0 { print("bytes per span: \(stats.sstBytes / stats.spans)") }
    }
}
