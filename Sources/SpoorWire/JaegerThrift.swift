import NIOCore
import SpoorModel

/// The Thrift protocol a transport speaks: compact on UDP 6831, binary on UDP 6832 and HTTP 14268.
package enum ThriftProtocolKind: Sendable {
    case compact
    case binary
}

/// A decoded `agent.Agent` oneway call.
package enum AgentMessage: Sendable, Equatable {
    /// `emitBatch(1: jaeger.Batch batch)`, converted to model spans.
    case emitBatch([Span])
    /// `emitZipkinBatch(1: list<zipkincore.Span> spans)`, converted to model spans by Jaeger's legacy
    /// Zipkin converter (a span with both `cs` and `sr` yields two).
    case emitZipkinBatch([Span])
}

/// Decoders for Jaeger's Thrift payloads.
///
/// Pure functions from bytes to model values: no I/O, no logging, never trap on input.
package enum JaegerThrift {
    /// One UDP datagram (6831 compact / 6832 binary): message header + args struct.
    ///
    /// The message must be a CALL or ONEWAY of `emitBatch` or `emitZipkinBatch`; bytes after the
    /// args struct are ignored.
    /// - Throws: `ThriftError` for malformed input, an unknown method, or a limit exceeded.
    package static func decodeAgentDatagram(
        _ bytes: ByteBuffer, protocol kind: ThriftProtocolKind, limits: DecodingLimits = .default
    ) throws(ThriftError) -> AgentMessage {
        switch kind {
        case .compact:
            return try ThriftCompactReader.withReader(over: bytes, limits: limits) {
                reader throws(ThriftError) in
                try JaegerThriftDecoder.readAgentMessage(&reader)
            }
        case .binary:
            return try ThriftBinaryReader.withReader(over: bytes, limits: limits) {
                reader throws(ThriftError) in
                try JaegerThriftDecoder.readAgentMessage(&reader)
            }
        }
    }

    /// HTTP 14268 body: a bare binary-protocol jaeger.Batch.
    ///
    /// Bytes after the Batch's stop byte are ignored.
    /// - Throws: `ThriftError` for malformed input or a limit exceeded.
    package static func decodeBatch(
        binary bytes: ByteBuffer, limits: DecodingLimits = .default
    ) throws(ThriftError) -> [Span] {
        try ThriftBinaryReader.withReader(over: bytes, limits: limits) { reader throws(ThriftError) in
            try JaegerThriftDecoder.readBatch(&reader)
        }
    }
}
