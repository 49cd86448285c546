import Foundation
import SpoorModel
import SpoorWire
import Synchronization

/// What one send did: spans accepted / rejected (back-pressure), failed sends, wire requests made.
struct LoadgenTally: Sendable {
    var accepted = 0
    var rejected = 0
    var errors = 0
    var requests = 0
    /// Spans never sent because a single span did not fit in a datagram (UDP only).
    var tooLarge = 0
    /// Encoded bytes of the accepted messages (request bodies, gRPC messages or datagrams; no transport framing).
    var bytes = 0

    static func += (lhs: inout LoadgenTally, rhs: LoadgenTally) {
        lhs.accepted += rhs.accepted
        lhs.rejected += rhs.rejected
        lhs.errors += rhs.errors
        lhs.requests += rhs.requests
        lhs.tooLarge += rhs.tooLarge
        lhs.bytes += rhs.bytes
    }
}

/// Shared counters of the load generator's workers.
final class LoadCounters: Sendable {
    let value = Mutex(LoadgenTally())

    func add(_ tally: LoadgenTally) {
        value.withLock { $0 += tally }
    }
}

/// Paces all workers together to a fixed number of spans per second (0 = no pacing).
///
/// Each send reserves the next time slot; a sender that falls behind does not earn a burst.
final class LoadgenPacer: Sendable {
    private let spansPerSecond: Int
    private let next = Mutex<ContinuousClock.Instant?>(nil)

    init(spansPerSecond: Int) {
        self.spansPerSecond = max(0, spansPerSecond)
    }

    /// Waits for the slot of a `spans`-span send; false when that slot is at or past `deadline`.
    func wait(spans: Int, deadline: ContinuousClock.Instant) async throws -> Bool {
        guard spansPerSecond > 0 else { return ContinuousClock.now < deadline }
        let interval = Duration.seconds(Double(spans) / Double(spansPerSecond))
        let slot = next.withLock { next in
            let slot = max(next ?? .now, .now)
            next = slot + interval
            return slot
        }
        guard slot < deadline else { return false }
        try await Task.sleep(until: slot, clock: .continuous)
        return true
    }
}

/// Where a worker's requests come from: generated and encoded for every send, or stamped from templates.
enum LoadgenSource: Sendable {
    case generate(LoadgenProtocol)
    case templates(LoadgenTemplates)
}

/// The shared settings of one run's workers.
struct LoadgenPlan: Sendable {
    var seed: UInt64
    var services: Int
    /// Resource attributes besides `service.name` (see `TraceGenerator`).
    var resourceAttributes = 1
    var batch: Int
    var deadline: ContinuousClock.Instant
    var pacer: LoadgenPacer
    var counters: LoadCounters
    var source: LoadgenSource

    /// Makes `batch`-span requests until the deadline, paced, recording what `send` reports.
    /// After a rejection or error the worker backs off 50 ms.
    func runWorker(_ worker: Int, send: ([LoadgenMessage]) async -> LoadgenTally) async throws {
        var generator = TraceGenerator(
            seed: seed &+ UInt64(worker) &* 0x9E37_79B9, services: services, resourceAttributes: resourceAttributes)
        var sequenceID: Int32 = 1
        while try await pacer.wait(spans: batch, deadline: deadline) {
            let request: LoadgenRequest
            switch source {
            case .generate(let kind):
                guard let encoded = LoadgenWire.encode(generator.request(spans: batch), as: kind, sequenceID: &sequenceID) else {
                    counters.add(LoadgenTally(errors: 1))
                    continue
                }
                request = encoded
            case .templates(let templates):
                request = templates.next()
            }
            var tally = await send(request.messages)
            tally.tooLarge += request.tooLarge
            counters.add(tally)
            if tally.rejected > 0 || tally.errors > 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
    }
}

/// Converts generated OTLP requests into the Jaeger model, one group per service (= one Thrift Batch each).
enum LoadgenThrift {
    /// The request's spans grouped by process, in first-seen order; nil if the conversion fails.
    static func batches(_ request: OTLPExportRequest) -> [(
        process: SpoorModel.Process, spans: [Span]
    )]? {
        guard let spans = try? OTLPDecoder.spans(from: request) else { return nil }
        var order: [SpoorModel.Process] = []
        var groups: [SpoorModel.Process: [Span]] = [:]
        for span in spans {
            if groups[span.process] == nil { order.append(span.process) }
            groups[span.process, default: []].append(span)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }
}
