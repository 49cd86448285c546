import GRPCCore
import SpoorModel
import SpoorWire

/// `opentelemetry.proto.collector.trace.v1.TraceService/Export` on 4317: answered once the spans are in the WAL.
package struct OTLPGRPCService: Opentelemetry_Proto_Collector_Trace_V1_TraceService.ServiceProtocol {
    private let ingestor: SpanIngestor
    private let tenancy: TenantResolver

    /// Creates the service.
    package init(ingestor: SpanIngestor, tenancy: TenantResolver) {
        self.ingestor = ingestor
        self.tenancy = tenancy
    }

    package func export(
        request: ServerRequest<Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest>, context: ServerContext
    ) async throws -> ServerResponse<Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse> {
        let tenant: String
        do throws(TenantError) {
            tenant = try tenancy.tenant(of: request.metadata)
        } catch {
            ingestor.countRejected(transport: .otlpGRPC, code: error == .missing ? "unauthenticated" : "permission_denied")
            throw error.rpcError
        }
        let spans: [Span]
        do {
            spans = try OTLPDecoder.spans(from: request.message)
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
        return ServerResponse(message: Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse())
    }
}
