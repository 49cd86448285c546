import Foundation
import SpoorModel
import SpoorWire
import Synchronization

/// One wire message of a load-generator request: an OTLP export request, one Thrift `Batch` body, or one compact
/// `emitBatch` datagram.
struct LoadgenMessage: Sendable {
    var bytes: [UInt8]
    var spans: Int
    /// Where each trace id's re-stampable part starts in `bytes` (templates only; see `LoadgenTemplates`).
    var idOffsets: [Int] = []
}

/// A generated request as the messages a protocol sends.
struct LoadgenRequest: Sendable {
    var messages: [LoadgenMessage]
    /// Spans never sent because a single span did not fit in a datagram (UDP only).
    var tooLarge = 0
}

/// Encodes generated OTLP requests for each protocol.
enum LoadgenWire {
    /// The request's messages for `kind`; nil when the request cannot be converted. With `locateIDs`, each message
    /// records where its trace ids are (see `LoadgenTemplates.Stamp`).
    static func encode(
        _ request: OTLPExportRequest, as kind: LoadgenProtocol, sequenceID: inout Int32, locateIDs: Bool = false
    ) -> LoadgenRequest? {
        switch kind {
        case .otlpGRPC, .otlpHTTP:
            guard let bytes: [UInt8] = try? request.serializedBytes() else { return nil }
            let spans = request.resourceSpans.reduce(0) { $0 + $1.scopeSpans.reduce(0) { $0 + $1.spans.count } }
            var message = LoadgenMessage(bytes: bytes, spans: spans)
            if locateIDs {
                // The whole 16-byte id is searched for; its first (high) 8 bytes are re-stamped.
                var ids = Set<Data>()
                for resource in request.resourceSpans {
                    for scope in resource.scopeSpans { for span in scope.spans { ids.insert(span.traceID) } }
                }
                message.idOffsets = offsets(of: ids.map { Array($0) }, in: bytes)
            }
            return LoadgenRequest(messages: [message])
        case .thriftHTTP, .udpCompact:
            guard let batches = LoadgenThrift.batches(request) else { return nil }
            var result = LoadgenRequest(messages: [])
            for batch in batches {
                // Thrift carries the id's high half as an i64: 8 bytes big-endian (binary) or a zigzag varint
                // (compact).
                let needles = Set(batch.spans.map(\.traceID.high)).map { high in
                    kind == .thriftHTTP ? bigEndianBytes(high) : zigzagVarint(Int64(bitPattern: high))
                }
                if kind == .thriftHTTP {
                    let bytes = JaegerThrift.encodeBatch(process: batch.process, spans: batch.spans, protocol: .binary)
                    result.messages.append(
                        LoadgenMessage(
                            bytes: bytes, spans: batch.spans.count, idOffsets: locateIDs ? offsets(of: needles, in: bytes) : []))
                } else {
                    let encoded = JaegerThrift.encodeEmitBatches(
                        process: batch.process, spans: batch.spans, protocol: .compact, firstSequenceID: sequenceID)
                    sequenceID &+= Int32(truncatingIfNeeded: encoded.datagrams.count)
                    result.tooLarge += encoded.tooLarge
                    for datagram in encoded.datagrams {
                        result.messages.append(
                            LoadgenMessage(
                                bytes: datagram.bytes, spans: datagram.spans,
                                idOffsets: locateIDs ? offsets(of: needles, in: datagram.bytes) : []))
                    }
                }
            }
            return result
        }
    }

    static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }

    static func zigzagVarint(_ value: Int64) -> [UInt8] {
        var rest = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var bytes: [UInt8] = []
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    /// Every offset in `bytes` where one of `needles` starts, in order. Needles shorter than 4 bytes are not looked
    /// for (a random 64-bit id is that short with odds of 2^-40).
    static func offsets(of needles: [[UInt8]], in bytes: [UInt8]) -> [Int] {
        var byHead: [UInt32: [Int]] = [:]
        for (index, needle) in needles.enumerated() where needle.count >= 4 { byHead[head(needle, 0), default: []].append(index) }
        guard !byHead.isEmpty, bytes.count >= 4 else { return [] }
        var found: [Int] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            if let candidates = byHead[head(bytes, offset)],
                let match = candidates.first(where: { offset + needles[$0].count <= bytes.count && bytes[offset..<(offset + needles[$0].count)].elementsEqual(needles[$0]) })
            {
                found.append(offset)
                offset += needles[match].count
            } else {
                offset += 1
            }
        }
        return found
    }

    private static func head(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

/// Pre-encoded requests (`spoor loadgen --templates N`), sent in turn with their trace ids re-stamped on every send,
/// so the load generator spends its CPU on sending rather than on building and encoding messages.
///
/// Each template is a generated request, encoded once for the protocol, with the offsets of its trace ids. A send
/// copies the next template and mixes the send's salt (how many times that template was sent before) into each id:
/// - OTLP and Thrift binary: the id's high 8 bytes are XORed with the salt;
/// - Thrift compact: the low 7 bits of the first three bytes of the high half's varint are XORed with 21 bits of the
///   salt, which keeps the varint's length. Ids repeat after 2^21 sends of one template.
/// Span ids, parents, timestamps (those of the template's creation), names and tags are sent as generated.
final class LoadgenTemplates: Sendable {
    private let requests: [LoadgenRequest]
    private let varintIDs: Bool
    private let sends = Atomic<UInt64>(0)

    /// Generates and encodes `count` requests of `batch` spans.
    init(
        count: Int, batch: Int, services: Int, seed: UInt64, protocol kind: LoadgenProtocol, resourceAttributes: Int = 1
    ) throws {
        var generator = TraceGenerator(seed: seed, services: services, resourceAttributes: resourceAttributes)
        var sequenceID: Int32 = 1
        var requests: [LoadgenRequest] = []
        for _ in 0..<max(1, count) {
            guard
                let request = LoadgenWire.encode(
                    generator.request(spans: batch), as: kind, sequenceID: &sequenceID, locateIDs: true)
            else { throw LoadgenTemplateError.encoding }
            requests.append(request)
        }
        self.requests = requests
        varintIDs = kind == .udpCompact
    }

    /// The next template's messages, with its trace ids re-stamped.
    func next() -> LoadgenRequest {
        let send = sends.wrappingAdd(1, ordering: .relaxed).oldValue
        var request = requests[Int(send % UInt64(requests.count))]
        let salt = send / UInt64(requests.count) + 1
        for index in request.messages.indices {
            let offsets = request.messages[index].idOffsets
            request.messages[index].bytes.withUnsafeMutableBufferPointer { bytes in
                for offset in offsets {
                    if varintIDs {
                        for byte in 0..<3 where bytes[offset + byte] & 0x80 != 0 {
                            bytes[offset + byte] ^= UInt8(truncatingIfNeeded: salt >> (7 * UInt64(byte))) & 0x7F
                        }
                    } else {
                        for byte in 0..<8 { bytes[offset + byte] ^= UInt8(truncatingIfNeeded: salt >> (56 - 8 * UInt64(byte))) }
                    }
                }
            }
        }
        return request
    }
}

enum LoadgenTemplateError: Error, CustomStringConvertible {
    case encoding
    var description: String { "a generated request could not be encoded" }
}
