import Logging
import ServiceLifecycle

/// Drops expired time buckets periodically (and once at start).
package struct RetentionService: Service {
    private let store: SpanStore
    private let interval: Duration
    private let logger: Logger
    private let now: @Sendable () -> UInt64

    /// Creates the service.
    package init(store: SpanStore, interval: Duration = .seconds(60), logger: Logger, now: @escaping @Sendable () -> UInt64) {
        self.store = store
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    /// Applies retention every `interval` until graceful shutdown.
    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let dropped = try store.applyRetention(now: now())
                if dropped > 0 { logger.info("Applied retention", metadata: ["bucket.count": "\(dropped)"]) }
            } catch {
                logger.error("Retention failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
