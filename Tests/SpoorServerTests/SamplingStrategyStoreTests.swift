import Logging
import SpoorTestSupport
import Synchronization
import Testing

@testable import SpoorServer

#if canImport(Glibc)
    import Glibc
#endif

struct SamplingStrategyStoreTests {
    private static func write(_ text: String, to path: String) {
        let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(path).tmp")
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        precondition(written == bytes.count)
        close(fd)
        // Rename so each write is a new inode: the change is seen even within one mtime tick.
        precondition(rename(path + ".tmp", path) == 0)
    }

    private static let rate7 = #"{"default_strategy": {"type": "ratelimiting", "param": 7}}"#
    private static let prob25 = #"{"default_strategy": {"type": "probabilistic", "param": 0.25}}"#

    @Test func storeWithoutFileServesJaegerDefault() {
        let store = SamplingStrategyStore(logger: TestStores.logger)
        #expect(store.strategy(for: "any") == .probabilistic(0.001))
        #expect(store.reloadIfChanged() == .unchanged)
    }

    @Test func storeLoadsTheFileAtStartup() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/strategies.json"
        Self.write(Self.rate7, to: path)
        let store = try SamplingStrategyStore(path: path, logger: TestStores.logger)
        #expect(store.strategy(for: "any") == .rateLimiting(7))
    }

    @Test func missingOrInvalidFileFailsStartup() {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        #expect(throws: SamplingStrategiesError.self) {
            try SamplingStrategyStore(path: directory.path + "/absent.json", logger: TestStores.logger)
        }
        Self.write("{broken", to: directory.path + "/bad.json")
        #expect(throws: SamplingStrategiesError.self) {
            try SamplingStrategyStore(path: directory.path + "/bad.json", logger: TestStores.logger)
        }
        #expect(throws: SamplingStrategiesError.self) {
            try SamplingStrategyStore(path: directory.path, logger: TestStores.logger)
        }
    }

    @Test func changedFileIsReloaded() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/strategies.json"
        Self.write(Self.rate7, to: path)
        let store = try SamplingStrategyStore(path: path, logger: TestStores.logger)
        #expect(store.reloadIfChanged() == .unchanged)
        Self.write(Self.prob25, to: path)
        #expect(store.reloadIfChanged() == .reloaded)
        #expect(store.strategy(for: "any") == .probabilistic(0.25))
        #expect(store.reloadIfChanged() == .unchanged)
    }

    @Test func rewriteWithSameContentIsNotAReload() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/strategies.json"
        Self.write(Self.rate7, to: path)
        let store = try SamplingStrategyStore(path: path, logger: TestStores.logger)
        Self.write(Self.rate7, to: path)
        #expect(store.reloadIfChanged() == .unchanged)
    }

    @Test func invalidNewFileKeepsTheOldStrategiesAndLogsAWarning() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/strategies.json"
        Self.write(Self.rate7, to: path)
        let logs = RecordingLogHandler.Box()
        let logger = Logger(label: "test") { _ in RecordingLogHandler(box: logs) }
        let store = try SamplingStrategyStore(path: path, logger: logger)

        Self.write(#"{"default_strategy": {"type": "probabilistic", "param": "high"}}"#, to: path)
        guard case .failed(.invalidJSON) = store.reloadIfChanged() else {
            Issue.record("expected a failed reload")
            return
        }
        #expect(store.strategy(for: "any") == .rateLimiting(7))
        #expect(logs.entries.contains { $0.level == .warning && $0.message.contains("keeping the previous strategies") })

        unlink(path)
        guard case .failed(.unreadable) = store.reloadIfChanged() else {
            Issue.record("expected a failed reload of a removed file")
            return
        }
        #expect(store.strategy(for: "any") == .rateLimiting(7))

        Self.write(Self.prob25, to: path)
        #expect(store.reloadIfChanged() == .reloaded)
        #expect(store.strategy(for: "any") == .probabilistic(0.25))
    }

    @Test func reloaderPicksUpAChangeWithinItsInterval() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/strategies.json"
        Self.write(Self.rate7, to: path)
        let store = try SamplingStrategyStore(path: path, logger: TestStores.logger)
        let reloader = SamplingStrategiesReloader(store: store, interval: .milliseconds(20))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await reloader.run() }
            Self.write(Self.prob25, to: path)
            // Generous: on a loaded 2-core CI machine the parallel test run can starve the reloader for seconds.
            let deadline = ContinuousClock.now + .seconds(90)
            while store.strategy(for: "any") != .probabilistic(0.25), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(store.strategy(for: "any") == .probabilistic(0.25))
    }

    @Test func reloaderWithZeroIntervalNeverPolls() async throws {
        let store = SamplingStrategyStore(logger: TestStores.logger)
        let reloader = SamplingStrategiesReloader(store: store, interval: .zero)
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await reloader.run() }
            group.cancelAll()
        }
    }
}

/// Records log entries for assertions.
struct RecordingLogHandler: LogHandler {
    final class Box: Sendable {
        private let stored = Mutex<[(level: Logger.Level, message: String)]>([])
        var entries: [(level: Logger.Level, message: String)] { stored.withLock { $0 } }
        func append(_ entry: (level: Logger.Level, message: String)) { stored.withLock { $0.append(entry) } }
    }

    let box: Box
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        box.append((event.level, "\(event.message)"))
    }
}
