import GRPCCore
import SpoorModel
import SpoorWire

/// `opentelemetry.proto.collector.trace.v1.TraceService/Export` on 4317: answered once the spans are in the WAL.
package struct OTLPGRPCService: Opentelemetry_Proto_Collector_Trace_V1_TraceService.SimpleServiceProtocol {
    private let ingestor: SpanIngestor
    private let tenant: String

    /// Creates the service.
    package init(ingestor: SpanIngestor, tenant: String) {
        self.ingestor = ingestor
        self.tenant = tenant
    }

    package func export(
        request: Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest, context: ServerContext
    ) async throws -> Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse {
        let spans: [Span]
        do {
            spans = try OTLPDecoder.spans(from: request)
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
        return Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse()
    }
}
