import GRPCCore
import GRPCProtobuf
import SpoorModel
import SpoorWire

/// `opentelemetry.proto.collector.trace.v1.TraceService/Export` on 4317: answered once the spans are in the WAL.
///
/// The request message is taken as bytes (`OTLPRequestBytes`) and decoded straight into spans by
/// `OTLPDecoder.decodeProtobuf`, after the tenant is checked; it never becomes a generated message.
package struct OTLPGRPCService: RegistrableRPCService {
    package typealias Export = Opentelemetry_Proto_Collector_Trace_V1_TraceService.Method.Export
    private let ingestor: SpanIngestor
    private let tenancy: TenantResolver

    /// Creates the service.
    package init(ingestor: SpanIngestor, tenancy: TenantResolver) {
        self.ingestor = ingestor
        self.tenancy = tenancy
    }

    package func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Export.descriptor,
            deserializer: OTLPRequestBytes.Deserializer(),
            serializer: ProtobufSerializer<Export.Output>(),
            handler: { request, context in
                let response = try await self.export(request: ServerRequest(stream: request), context: context)
                return StreamingServerResponse(single: response)
            }
        )
    }

    /// Checks the tenant, decodes the request and waits until its spans are durable.
    package func export(
        request: ServerRequest<OTLPRequestBytes>, context: ServerContext
    ) async throws -> ServerResponse<Export.Output> {
        let tenant: String
        do throws(TenantError) {
            tenant = try tenancy.tenant(of: request.metadata)
        } catch {
            ingestor.countRejected(transport: .otlpGRPC, code: error == .missing ? "unauthenticated" : "permission_denied")
            throw error.rpcError
        }
        let spans: [Span]
        do {
            spans = try OTLPDecoder.decodeProtobuf(request.message.bytes)
        } catch {
            ingestor.countRejected(transport: .otlpGRPC, code: "invalid_argument")
            throw RPCError(code: .invalidArgument, message: "\(error)")
        }
        do throws(IngestError) {
            try await ingestor.ingest(spans, tenant: tenant, transport: .otlpGRPC)
        } catch {
            switch error {
            case .overloaded:
                ingestor.countRejected(transport: .otlpGRPC, code: "resource_exhausted")
                throw RPCError(code: .resourceExhausted, message: "server is overloaded, retry later")
            case .unavailable:
                ingestor.countRejected(transport: .otlpGRPC, code: "unavailable")
                throw RPCError(code: .unavailable, message: "server is shutting down")
            case .storage(let message):
                ingestor.countRejected(transport: .otlpGRPC, code: "internal")
                throw RPCError(code: .internalError, message: message)
            }
        }
        return ServerResponse(message: Export.Output())
    }
}

/// An OTLP export request's serialized bytes, as the gRPC transport delivers them.
package struct OTLPRequestBytes: Sendable {
    /// The `ExportTraceServiceRequest` bytes.
    package var bytes: [UInt8]

    /// Wraps serialized request bytes.
    package init(bytes: [UInt8]) { self.bytes = bytes }

    /// Copies the message bytes out of the transport's buffer; decoding is left to the handler.
    package struct Deserializer: MessageDeserializer {
        package init() {}

        package func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> OTLPRequestBytes {
            serializedMessageBytes.withUnsafeBytes { OTLPRequestBytes(bytes: Array($0)) }
        }
    }
}
