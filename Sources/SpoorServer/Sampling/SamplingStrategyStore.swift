import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The sampling strategies currently served, optionally backed by a strategies file that `reloadIfChanged()` re-reads.
///
/// A file that fails to load on reload leaves the previous strategies in place (and logs a warning); at startup,
/// `init(path:...)` throws so a bad file stops the server, as Jaeger does.
package final class SamplingStrategyStore: Sendable {
    /// Largest strategies file read.
    package static let maxFileBytes = 16 << 20

    private let path: String?
    private let parser: SamplingStrategiesParser
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var strategies: SamplingStrategies
        var fingerprint: FileFingerprint?
        var contents: [UInt8]?
    }

    /// A store without a file: everyone gets PROBABILISTIC `parser.defaultProbability` (0.001).
    package init(parser: SamplingStrategiesParser = SamplingStrategiesParser(), logger: Logger) {
        self.path = nil
        self.parser = parser
        self.logger = Self.componentLogger(logger)
        self.state = Mutex(State(strategies: .defaults(probability: parser.defaultProbability)))
    }

    /// A store with fixed strategies (tests, or strategies built elsewhere).
    package init(strategies: SamplingStrategies, logger: Logger) {
        self.path = nil
        self.parser = SamplingStrategiesParser()
        self.logger = Self.componentLogger(logger)
        self.state = Mutex(State(strategies: strategies))
    }

    /// A store loaded from Jaeger's strategies file at `path`.
    /// - Throws: `SamplingStrategiesError` when the file cannot be read or parsed.
    package init(path: String, parser: SamplingStrategiesParser = SamplingStrategiesParser(), logger: Logger) throws(SamplingStrategiesError) {
        self.path = path
        self.parser = parser
        self.logger = Self.componentLogger(logger)
        let (fingerprint, contents) = try Self.read(path)
        let parsed = try parser.parse(contents)
        self.state = Mutex(State(strategies: parsed.strategies, fingerprint: fingerprint, contents: contents))
        for warning in parsed.warnings {
            self.logger.warning("Sampling strategies file entry ignored", metadata: ["reason": "\(warning)", "file.path": "\(path)"])
        }
        self.logger.info("Loaded sampling strategies", metadata: ["file.path": "\(path)", "service.count": "\(parsed.strategies.serviceStrategies.count)"])
    }

    /// The strategies served now.
    package var strategies: SamplingStrategies { state.withLock { $0.strategies } }

    /// The strategy for `service`; an unknown service gets the default.
    package func strategy(for service: String) -> SamplingStrategyResponse {
        state.withLock { $0.strategies.strategy(for: service) }
    }

    /// Replaces the strategies served.
    package func replace(with strategies: SamplingStrategies) {
        state.withLock { $0.strategies = strategies }
    }

    /// What `reloadIfChanged()` did.
    package enum ReloadOutcome: Sendable, Equatable {
        /// No file, or the file's metadata and contents are unchanged.
        case unchanged
        /// New strategies are served.
        case reloaded
        /// The file changed but could not be loaded; the previous strategies are still served.
        case failed(SamplingStrategiesError)
    }

    /// Re-reads the file when its modification time, size or inode changed and serves the new strategies if they
    /// parse. A failed load keeps the old strategies, logs a warning and is retried at the next call.
    @discardableResult
    package func reloadIfChanged() -> ReloadOutcome {
        guard let path else { return .unchanged }
        let known = state.withLock { ($0.fingerprint, $0.contents) }
        let current: FileFingerprint
        do {
            current = try Self.fingerprint(path)
        } catch {
            return failed(error, path: path)
        }
        if current == known.0 { return .unchanged }
        let contents: [UInt8]
        let fingerprint: FileFingerprint
        do {
            (fingerprint, contents) = try Self.read(path)
        } catch {
            return failed(error, path: path)
        }
        if contents == known.1 {
            state.withLock { $0.fingerprint = fingerprint }
            return .unchanged
        }
        let parsed: SamplingStrategiesParser.Parsed
        do {
            parsed = try parser.parse(contents)
        } catch {
            return failed(error, path: path)
        }
        for warning in parsed.warnings {
            logger.warning("Sampling strategies file entry ignored", metadata: ["reason": "\(warning)", "file.path": "\(path)"])
        }
        state.withLock {
            $0.strategies = parsed.strategies
            $0.fingerprint = fingerprint
            $0.contents = contents
        }
        logger.info("Reloaded sampling strategies", metadata: ["file.path": "\(path)", "service.count": "\(parsed.strategies.serviceStrategies.count)"])
        return .reloaded
    }

    private func failed(_ error: SamplingStrategiesError, path: String) -> ReloadOutcome {
        logger.warning(
            "Sampling strategies file not reloaded, keeping the previous strategies",
            metadata: ["file.path": "\(path)", "error": "\(error)"])
        return .failed(error)
    }

    private static func componentLogger(_ logger: Logger) -> Logger {
        var logger = logger
        logger[metadataKey: "component"] = "sampling"
        return logger
    }

    // MARK: File access

    /// What tells a changed file apart: modification time (ns), size, device and inode.
    struct FileFingerprint: Equatable, Sendable {
        var modifiedNanos: Int64
        var size: Int64
        var device: UInt64
        var inode: UInt64
    }

    static func fingerprint(_ path: String) throws(SamplingStrategiesError) -> FileFingerprint {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path: path, reason: errnoText()) }
        return FileFingerprint(info)
    }

    /// Reads the whole file, refusing files over `maxFileBytes`.
    static func read(_ path: String) throws(SamplingStrategiesError) -> (FileFingerprint, [UInt8]) {
        do {
            let (info, bytes) = try BoundedFile.read(path, limit: maxFileBytes)
            return (FileFingerprint(info), bytes)
        } catch {
            switch error {
            case .unreadable(let reason): throw .unreadable(path: path, reason: reason)
            case .tooLarge(let bytes): throw .tooLarge(path: path, bytes: bytes, limit: maxFileBytes)
            }
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

extension SamplingStrategyStore.FileFingerprint {
    init(_ info: stat) {
        modifiedNanos = Int64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_mtim.tv_nsec)
        size = Int64(info.st_size)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// Polls the strategies file every `interval` and reloads it when it changed (`--sampling.strategies-reload-interval`).
///
/// With a zero interval it never polls and just waits for shutdown, so it can stay in the service group.
package struct SamplingStrategiesReloader<C: _Concurrency.Clock>: Service where C.Duration == Duration {
    private let store: SamplingStrategyStore
    private let interval: Duration
    private let clock: C

    /// Creates the reloader.
    package init(store: SamplingStrategyStore, interval: Duration, clock: C) {
        self.store = store
        self.interval = interval
        self.clock = clock
    }

    /// Polls until graceful shutdown.
    package func run() async throws {
        guard interval > .zero else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            store.reloadIfChanged()
        }
    }
}

extension SamplingStrategiesReloader where C == ContinuousClock {
    /// Creates the reloader on the continuous clock.
    package init(store: SamplingStrategyStore, interval: Duration) {
        self.init(store: store, interval: interval, clock: ContinuousClock())
    }
}
