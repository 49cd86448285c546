import GRPCCore
import SpoorModel
import SpoorWire

/// `jaeger.api_v2.CollectorService/PostSpans` on 14250: answered once the spans are in the WAL.
///
/// The tenant comes from the request metadata (`ServerContext` carries none, hence the non-simple protocol).
/// Undecodable spans → INVALID_ARGUMENT, full queue → RESOURCE_EXHAUSTED, shutting down → UNAVAILABLE,
/// storage failure → INTERNAL; tenancy errors as `TenantError.rpcError`.
package struct JaegerCollectorService: Jaeger_ApiV2_CollectorService.ServiceProtocol {
    private let ingestor: SpanIngestor
    private let tenancy: TenantResolver
    private let limits: JaegerProtoLimits

    /// Creates the service.
    package init(ingestor: SpanIngestor, tenancy: TenantResolver, limits: JaegerProtoLimits = .default) {
        self.ingestor = ingestor
        self.tenancy = tenancy
        self.limits = limits
    }

    package func postSpans(
        request: ServerRequest<Jaeger_ApiV2_PostSpansRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV2_PostSpansResponse> {
        let transport = Transport.jaegerGRPC
        let tenant: String
        do throws(TenantError) {
            tenant = try tenancy.tenant(of: request.metadata)
        } catch {
            ingestor.countRejected(transport: transport, code: error == .missing ? "unauthenticated" : "permission_denied")
            throw error.rpcError
        }
        let spans: [Span]
        do {
            spans = try JaegerProtoDecoder.spans(from: request.message, limits: limits)
        } catch {
            ingestor.countRejected(transport: transport, code: "invalid_argument")
            throw RPCError(code: .invalidArgument, message: "\(error)")
        }
        do throws(IngestError) {
            try await ingestor.ingest(spans, tenant: tenant, transport: transport)
        } catch {
            switch error {
            case .overloaded:
                ingestor.countRejected(transport: transport, code: "resource_exhausted")
                throw RPCError(code: .resourceExhausted, message: "server is overloaded, retry later")
            case .unavailable:
                ingestor.countRejected(transport: transport, code: "unavailable")
                throw RPCError(code: .unavailable, message: "server is shutting down")
            case .storage(let message):
                ingestor.countRejected(transport: transport, code: "internal")
                throw RPCError(code: .internalError, message: message)
            }
        }
        return ServerResponse(message: Jaeger_ApiV2_PostSpansResponse())
    }
}
