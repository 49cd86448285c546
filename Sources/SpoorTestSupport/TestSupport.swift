import Logging
import SpoorModel
import SpoorStorage

#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory removed when `cleanup()` runs.
package struct TemporaryDirectory: Sendable {
    /// Absolute path.
    package let path: String

    /// Creates a fresh directory under /tmp.
    package init(prefix: String = "spoor-test") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
            guard let base = buffer.baseAddress else { return nil }
            return mkdtemp(base)
        }
        path = made.map { String(cString: $0) } ?? "/tmp/\(prefix)-\(UInt64.random(in: 0...UInt64.max))"
        if made == nil { mkdir(path, 0o700) }
    }

    /// Removes the directory and everything in it.
    package func cleanup() {
        _ = system("rm -rf '\(path)'")
    }
}

/// Opens stores on temporary directories.
package enum TestStores {
    /// A quiet logger for tests.
    package static var logger: Logger {
        var logger = Logger(label: "spoor-test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }

    /// Opens a store in `directory` (a sub-folder `db`).
    package static func open(_ directory: TemporaryDirectory, retentionNanos: UInt64 = 72 * 3600 * 1_000_000_000) throws -> SpanStore {
        var configuration = StoreConfiguration()
        configuration.retentionNanos = retentionNanos
        configuration.tuning.writeBufferBytes = 4 << 20
        configuration.tuning.blockCacheBytes = 8 << 20
        return try SpanStore(path: directory.path + "/db", configuration: configuration, logger: logger)
    }
}

/// Builds spans for tests.
package enum SpanBuilder {
    /// A span with the essentials; times in microseconds for readability.
    package static func span(
        trace: UInt64, span: UInt64, parent: UInt64? = nil, service: String = "svc", operation: String = "op",
        startMicros: UInt64, durationMicros: UInt64 = 10, tags: [Attribute] = [], logs: [SpanLog] = [],
        processTags: [Attribute] = []
    ) -> Span {
        let traceID = TraceID(high: 0, low: trace)
        return Span(
            traceID: traceID, spanID: SpanID(span),
            operationName: operation,
            references: parent.map { [SpanReference(refType: .childOf, traceID: traceID, spanID: SpanID($0))] } ?? [],
            flags: 1, startTimeUnixNanos: startMicros * 1000, durationNanos: durationMicros * 1000, tags: tags, logs: logs,
            process: Process(serviceName: service, tags: processTags))
    }
}

/// SplitMix64: a small seeded generator, so randomized tests see the same inputs on every run.
package struct SplitMix: RandomNumberGenerator {
    package var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
