import HTTPTypes
import Hummingbird
import NIOCore
import SpoorModel
import SpoorWire

/// `POST /api/v2/spans` and `POST /api/v1/spans` on 9411 (spec/ingest.md §1.6).
///
/// | path | media type | body |
/// |---|---|---|
/// | `/api/v1/spans` | `application/x-thrift` | binary `list<zipkincore.Span>` |
/// | `/api/v1/spans` | anything else | v1 JSON array |
/// | `/api/v2/spans` | `application/x-protobuf` | `zipkin.proto3.ListOfSpans`; `X-B3-Flags: 1` marks debug |
/// | `/api/v2/spans` | anything else | v2 JSON array |
///
/// Media types are compared without parameters, case-insensitively. `Content-Encoding` gzip,
/// deflate and zlib are decoded; a body that does not decode (or an unknown encoding) is used as
/// sent, as the OpenTelemetry Zipkin receiver does. Answers: 202 empty once stored; 400 with the
/// decoder's error text; 413 for bodies over `maxRequestBytes` (also after decompression); the
/// tenancy error's status and message; 503 with `Retry-After` when the ingest queue is full.
package enum ZipkinRoutes {
    /// Adds both routes.
    package static func add(
        to router: Router<BasicRequestContext>, ingestor: SpanIngestor, tenancy: TenantResolver, limits: CollectorLimits
    ) {
        router.post("/api/v2/spans") { request, _ -> Response in
            try await handle(request, version: .v2, ingestor: ingestor, tenancy: tenancy, limits: limits)
        }
        router.post("/api/v1/spans") { request, _ -> Response in
            try await handle(request, version: .v1, ingestor: ingestor, tenancy: tenancy, limits: limits)
        }
    }

    private enum APIVersion { case v1, v2 }

    private static func handle(
        _ request: Request, version: APIVersion, ingestor: SpanIngestor, tenancy: TenantResolver,
        limits: CollectorLimits
    ) async throws -> Response {
        let transport = Transport.zipkinHTTP
        let tenant: String
        do throws(TenantError) {
            tenant = try tenancy.tenant(of: request)
        } catch {
            ingestor.countRejected(transport: transport, code: String(error.httpStatus.code))
            return HTTPSupport.text(error.httpStatus, error.message)
        }
        guard var body = try await HTTPSupport.body(request, limit: limits.maxRequestBytes) else {
            return tooLarge(limits, ingestor: ingestor)
        }
        if let encoding = request.headers[.contentEncoding] {
            let name = trimmed(encoding).lowercased()
            do throws(DecompressionError) {
                body = try BodyDecompression.decompress(
                    body, encoding: name == "zlib" ? "deflate" : name, maxOutputBytes: limits.maxRequestBytes)
            } catch .tooLarge {
                return tooLarge(limits, ingestor: ingestor)
            } catch {
                // Not decodable as declared: the body is taken as sent.
            }
        }

        let media = HTTPSupport.mediaType(request)
        let spans: [Span]
        do throws(ZipkinError) {
            switch (version, media) {
            case (.v1, "application/x-thrift"): spans = try ZipkinDecoder.decodeV1Thrift(body)
            case (.v1, _): spans = try ZipkinDecoder.decodeV1JSON(body)
            case (.v2, "application/x-protobuf"):
                let debug = request.headers[b3Flags].map(trimmed) == "1"
                spans = try ZipkinDecoder.decodeV2Proto(body, debug: debug)
            case (.v2, _): spans = try ZipkinDecoder.decodeV2JSON(body)
            }
        } catch {
            ingestor.countRejected(transport: transport, code: "400")
            return HTTPSupport.text(.badRequest, error.description)
        }
        if !spans.isEmpty {
            do throws(IngestError) {
                try await ingestor.ingest(spans, tenant: tenant, transport: transport)
            } catch {
                if case .storage = error {
                    ingestor.countRejected(transport: transport, code: "500")
                    return HTTPSupport.text(.internalServerError, "Internal Server Error")
                }
                return overloadResponse(error, transport: transport, ingestor: ingestor, text: true)
            }
        }
        return Response(status: .accepted, headers: [.contentLength: "0"])
    }

    private static let b3Flags = HTTPField.Name("X-B3-Flags")!

    private static func trimmed(_ text: String) -> String {
        String(
            text.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()
        )
    }

    private static func tooLarge(_ limits: CollectorLimits, ingestor: SpanIngestor) -> Response {
        ingestor.countRejected(transport: .zipkinHTTP, code: "413")
        return HTTPSupport.text(.contentTooLarge, "Request body exceeds \(limits.maxRequestBytes) bytes")
    }
}
