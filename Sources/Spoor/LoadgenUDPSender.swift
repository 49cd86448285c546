import NIOCore
import NIOPosix
import SpoorModel
import SpoorWire

/// Sends generated traces as compact `Agent.emitBatch` datagrams (UDP 6831), one worker's socket.
///
/// UDP has no acknowledgement: a datagram counts as accepted once the kernel took it. What the server
/// really stored is on its admin /metrics (`spoor_collector_spans_received_total` and the dropped counters).
final class LoadgenUDPSender {
    private let channel: any Channel
    private let address: SocketAddress

    private init(channel: any Channel, address: SocketAddress) {
        self.channel = channel
        self.address = address
    }

    /// Opens an unconnected datagram socket of the target's address family.
    static func open(host: String, port: Int) async throws -> LoadgenUDPSender {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let bindHost = address.protocol == .inet6 ? "::" : "0.0.0.0"
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .bind(host: bindHost, port: 0)
            .get()
        return LoadgenUDPSender(channel: channel, address: address)
    }

    /// Sends the datagrams (each strictly below the server's 65,000-byte read buffer).
    func send(_ datagrams: [LoadgenMessage]) async -> LoadgenTally {
        var tally = LoadgenTally()
        for datagram in datagrams {
            do {
                try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: datagram.bytes)))
                tally.accepted += datagram.spans
                tally.requests += 1
                tally.bytes += datagram.bytes.count
            } catch {
                tally.errors += 1
            }
        }
        return tally
    }

    /// Closes the socket.
    func close() async {
        try? await channel.close()
    }
}
