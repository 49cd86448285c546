import NIOCore
import NIOEmbedded
import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorServer

/// The UDP handler gathers decoded spans and queues them in batches.
struct DatagramHandlerTests {
    /// Datagrams whose payload is "<tenant>:<spans>", decoded to that many spans.
    private static func decode(_ buffer: ByteBuffer) -> (spans: [Span], tenant: String)? {
        let text = String(buffer: buffer)
        let parts = text.split(separator: ":")
        guard parts.count == 2, let count = UInt64(parts[1]) else { return nil }
        return ((0..<count).map { SpanBuilder.span(trace: $0 + 1, span: 1, startMicros: 1) }, String(parts[0]))
    }

    private final class Sink: @unchecked Sendable {
        var batches: [(tenant: String, count: Int)] = []
    }

    private func channel(_ sink: Sink) throws -> EmbeddedChannel {
        let handler = DatagramHandler(decode: Self.decode, queue: { spans, tenant in sink.batches.append((tenant, spans.count)) })
        return EmbeddedChannel(handler: handler)
    }

    private func send(_ channel: EmbeddedChannel, _ payload: String) throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 6831)
        try channel.writeInbound(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(string: payload)))
    }

    @Test func smallDatagramsAreQueuedTogetherAfterTheDelay() throws {
        let sink = Sink()
        let channel = try channel(sink)
        try send(channel, "a:10")
        try send(channel, "a:15")
        try send(channel, "b:3")
        try send(channel, "garbage")  // undecodable: nothing gathered
        #expect(sink.batches.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: DatagramHandler.maxDelay)
        #expect(sink.batches.sorted { $0.tenant < $1.tenant }.map { "\($0.tenant)=\($0.count)" } == ["a=25", "b=3"])
        // Nothing left over: the next tick queues nothing.
        channel.embeddedEventLoop.advanceTime(by: DatagramHandler.maxDelay)
        #expect(sink.batches.count == 2)
        _ = try channel.finish()
    }

    /// Two Unicode spellings of a tenant name ("caf\u{E9}", "cafe\u{301}") are two tenants: never one batch.
    @Test func equivalentTenantSpellingsAreQueuedApart() throws {
        let sink = Sink()
        let channel = try channel(sink)
        try send(channel, "caf\u{E9}:4")
        try send(channel, "cafe\u{301}:6")
        channel.embeddedEventLoop.advanceTime(by: DatagramHandler.maxDelay)
        let byBytes = Dictionary(uniqueKeysWithValues: sink.batches.map { (Array($0.tenant.utf8), $0.count) })
        #expect(byBytes == [Array("caf\u{E9}".utf8): 4, Array("cafe\u{301}".utf8): 6])
        _ = try channel.finish()
    }

    @Test func aFullBatchIsQueuedAtOnce() throws {
        let sink = Sink()
        let channel = try channel(sink)
        try send(channel, "a:\(DatagramHandler.maxSpans - 1)")
        #expect(sink.batches.isEmpty)
        try send(channel, "a:1")
        #expect(sink.batches.map(\.count) == [DatagramHandler.maxSpans])
        _ = try channel.finish()
    }

    @Test func closingTheChannelQueuesWhatWasGathered() throws {
        let sink = Sink()
        let channel = try channel(sink)
        try send(channel, "a:7")
        _ = try channel.finish()
        #expect(sink.batches.map(\.count) == [7])
    }
}
