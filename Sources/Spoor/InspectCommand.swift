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
        if stats.spans > 0 {
            // One decimal: a floor would read 80.9 as 80.
            let tenths = (stats.sstBytes * 10 + stats.spans / 2) / stats.spans
            print("bytes per span: \(tenths / 10).\(tenths % 10)")
        }
        if stats.spans > 0 {
            print("uncompressed bytes per span by key type (entries per span):")
            for (type, totals) in stats.byType.sorted(by: { $0.key < $1.key }) {
                let perSpan = Double(totals.keyBytes + totals.valueBytes) / Double(stats.spans)
                let entries = Double(totals.entries) / Double(stats.spans)
                print(
                    "  0x\(String(type, radix: 16)) \(Self.typeName(type)): keys+values \(Int(perSpan.rounded())) B (\((entries * 100).rounded() / 100) entries)")
            }
        }
    }

    private static func typeName(_ type: UInt8) -> String {
        switch type {
        case Keys.summaryTag: "trace summary"
        case Keys.spanTag: "span record"
        case Keys.traceTableTag: "trace tables"
        case Keys.chunkNameTag: "shared chunk names"
        case Keys.servicePostingsTag, Keys.serviceIndexTag: "service index"
        case Keys.operationPostingsTag, Keys.operationIndexTag: "operation index"
        case Keys.tagPostingsTag, Keys.tagIndexTag: "tag index"
        case Keys.durationPostingsTag, Keys.durationIndexTag: "duration index"
        case Keys.dependencyMinuteTag, Keys.dependencyHourTag: "dependency counters"
        case Keys.rollupMinuteTag, Keys.rollupHourTag: "monitor rollups"
        default: "other"
        }
    }
}
