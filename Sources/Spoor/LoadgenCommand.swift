import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SpoorServer
import SpoorWire

/// The ingest protocol `spoor loadgen` speaks.
enum LoadgenProtocol: String, CaseIterable, ExpressibleByArgument, Sendable {
    case otlpGRPC = "otlp-grpc"
    case otlpHTTP = "otlp-http"
    case thriftHTTP = "thrift-http"
    case udpCompact = "udp-compact"

    /// The Jaeger default port of this protocol.
    var defaultPort: Int {
        switch self {
        case .otlpGRPC: return 4317
        case .otlpHTTP: return 4318
        case .thriftHTTP: return 14268
        case .udpCompact: return 6831
        }
    }
}

/// `spoor loadgen`: realistic traces sent over any ingest protocol, at a fixed rate or as fast as accepted,
/// for a fixed time; reports accepted spans per second, rejections and errors.
struct LoadgenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Send synthetic traces over OTLP/gRPC, OTLP/HTTP, Thrift HTTP or UDP compact; report spans/s.")

    @Option(
        name: .customLong("protocol"),
        help: "otlp-grpc, otlp-http (POST /v1/traces), thrift-http (POST /api/traces) or udp-compact.")
    var ingestProtocol = LoadgenProtocol.otlpGRPC

    @Option(
        help: "Target host:port (default 127.0.0.1 and the protocol's port: 4317, 4318, 14268, 6831).")
    var target: String?

    @Option(help: "Spans per second over all workers; 0 = as fast as accepted.")
    var rate = 0

    @Option(help: "Seconds to send for.")
    var seconds = 20

    @Option(help: "Concurrent in-flight requests (one connection or socket each for HTTP and UDP).")
    var concurrency = 8

    @OptionGroup var workload: WorkloadOptions

    @Option(
        help: """
            Pre-encode this many requests and send them in turn with re-stamped trace ids (0 = generate every request); \
            makes the load generator cheap enough to measure the server's own limit.
            """)
    var templates = 0

    @Option(help: "PRNG seed (different per run for distinct ids).")
    var seed: UInt64 = UInt64(Date().timeIntervalSince1970 * 1e6)

    func validate() throws {
        guard seconds > 0, concurrency > 0, rate >= 0, (0...100_000).contains(templates) else {
            throw ValidationError(
                "--seconds and --concurrency must be positive, --rate not negative, "
                    + "--templates at most 100000")
        }
    }

    func run() async throws {
        let text = target ?? "127.0.0.1:\(ingestProtocol.defaultPort)"
        guard let address = HostPort(text) else { throw ValidationError("bad --target \(text)") }
        let host = address.host == "0.0.0.0" ? "127.0.0.1" : address.host
        let source: LoadgenSource
        if templates > 0 {
            source = .templates(
                try LoadgenTemplates(
                    count: templates, batch: workload.batch, services: workload.services, seed: seed, protocol: ingestProtocol,
                    resourceAttributes: workload.resourceAttributes))
        } else {
            source = .generate(ingestProtocol)
        }
        let started = ContinuousClock.now
        let plan = LoadgenPlan(
            seed: seed, services: workload.services, resourceAttributes: workload.resourceAttributes, batch: workload.batch,
            deadline: started + .seconds(seconds),
            pacer: LoadgenPacer(spansPerSecond: rate), counters: LoadCounters(), source: source)
        let pace = rate > 0 ? "\(rate) spans/s" : "as fast as accepted"
        let reuse = templates > 0 ? ", \(templates) templates re-stamped" : ""
        print(
            "loadgen: \(ingestProtocol.rawValue) to \(host):\(address.port), \(pace), \(seconds) s, "
                + "concurrency \(concurrency), \(workload.batch) spans/request\(reuse)")

        switch ingestProtocol {
        case .otlpGRPC: try await runGRPC(plan, host: host, port: address.port)
        case .otlpHTTP, .thriftHTTP: try await runHTTP(plan, host: host, port: address.port)
        case .udpCompact: try await runUDP(plan, host: host, port: address.port)
        }
        report(plan.counters.value.withLock { $0 }, elapsed: ContinuousClock.now - started)
    }

    private func runGRPC(_ plan: LoadgenPlan, host: String, port: Int) async throws {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.http2.targetWindowSize = 16 << 20
        try await withGRPCClient(
            transport: try .http2NIOPosix(
                target: .ipv4(address: host, port: port), transportSecurity: .plaintext, config: config)
        ) { client in
            typealias Export = Opentelemetry_Proto_Collector_Trace_V1_TraceService.Method.Export
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        try await plan.runWorker(worker) { messages in
                            var tally = LoadgenTally()
                            for message in messages {
                                do {
                                    _ = try await client.unary(
                                        request: ClientRequest(message: message.bytes), descriptor: Export.descriptor,
                                        serializer: LoadgenRawSerializer(), deserializer: ProtobufDeserializer<Export.Output>(),
                                        options: .defaults
                                    ) { response in try response.message }
                                    tally += LoadgenTally(accepted: message.spans, requests: 1, bytes: message.bytes.count)
                                } catch let error as RPCError
                                    where error.code == .resourceExhausted || error.code == .unavailable
                                {
                                    tally += LoadgenTally(rejected: message.spans, requests: 1)
                                } catch {
                                    tally += LoadgenTally(errors: 1, requests: 1)
                                }
                            }
                            return tally
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    private func runHTTP(_ plan: LoadgenPlan, host: String, port: Int) async throws {
        let thrift = ingestProtocol == .thriftHTTP
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    let connection = LoadgenHTTPConnection(host: host, port: port)
                    try await plan.runWorker(worker) { messages in
                        var tally = LoadgenTally()
                        for message in messages {
                            tally += await Self.post(
                                connection, path: thrift ? "/api/traces" : "/v1/traces",
                                contentType: thrift ? "application/x-thrift" : "application/x-protobuf", body: message.bytes,
                                spans: message.spans)
                        }
                        return tally
                    }
                    await connection.close()
                }
            }
            try await group.waitForAll()
        }
    }

    /// One POST: 200/202 accepted, 429/503 rejected, anything else (or no answer) an error.
    private static func post(
        _ connection: LoadgenHTTPConnection, path: String, contentType: String, body: [UInt8],
        spans: Int
    ) async -> LoadgenTally {
        do {
            switch try await connection.post(path: path, contentType: contentType, body: body) {
            case 200, 202: return LoadgenTally(accepted: spans, requests: 1, bytes: body.count)
            case 429, 503: return LoadgenTally(rejected: spans, requests: 1)
            default: return LoadgenTally(errors: 1, requests: 1)
            }
        } catch {
            return LoadgenTally(errors: 1)
        }
    }

    private func runUDP(_ plan: LoadgenPlan, host: String, port: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    let sender = try await LoadgenUDPSender.open(host: host, port: port)
                    try await plan.runWorker(worker) { datagrams in await sender.send(datagrams) }
                    await sender.close()
                }
            }
            try await group.waitForAll()
        }
    }

    private func report(_ c: LoadgenTally, elapsed: Duration) {
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let udp = ingestProtocol == .udpCompact
        let perSecond = Int(Double(c.accepted) / max(secs, 0.001))
        var line =
            "loadgen: \(c.accepted) spans \(udp ? "sent" : "accepted") in \(String(format: "%.1f", secs)) s"
        line += " = \(perSecond) spans/s; \(udp ? "datagrams" : "requests") \(c.requests)"
        line += ", rejected spans \(c.rejected), errors \(c.errors)"
        line += String(format: "; %.1f MB/s of encoded spans (%.0f B per span)", Double(c.bytes) / max(secs, 0.001) / 1e6, Double(c.bytes) / Double(max(c.accepted, 1)))
        if udp { line += ", spans too large for a datagram \(c.tooLarge)" }
        print(line)
        if udp {
            print(
                """
                loadgen: UDP has no acknowledgement: "sent" counts datagrams the kernel took, not spans the server kept.
                loadgen: read the true figures on the server's admin /metrics (default port 14269):
                loadgen:   curl -s localhost:14269/metrics | grep -E 'spoor_collector_spans_(received|dropped)_total'
                loadgen: datagrams the kernel dropped on a full receive buffer show only as Udp RcvbufErrors
                loadgen: in /proc/net/snmp on the server's host.
                """)
        }
    }
}

/// Passes already-encoded request bytes to the gRPC transport.
struct LoadgenRawSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}
