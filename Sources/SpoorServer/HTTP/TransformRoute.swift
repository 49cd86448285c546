import HTTPTypes
import Hummingbird
import NIOCore
import SpoorModel
import SpoorQuery
import SpoorWire

/// `POST /api/transform` on 16686 (spec/query-api.md §3.7): OTLP/JSON in, v1 UI traces out. Nothing is stored.
enum TransformRoute {
    /// Reads the body (at most `TransformEndpoint.maxRequestBytes`) and answers `reply(to:pretty:)`.
    static func respond(_ request: Request, pretty: Bool) async throws -> Response {
        let body = try await HTTPSupport.body(request, limit: TransformEndpoint.maxRequestBytes)
        let (status, bytes) = reply(to: body, pretty: pretty)
        return HTTPSupport.response(status, contentType: "application/json", bytes: bytes)
    }

    /// Decodes `body` with the OTLP/JSON collector decoder and renders its traces; invalid OTLP/JSON → 400
    /// `cannot unmarshal OTLP : …`, a nil body (over the limit) → 413.
    static func reply(to body: ByteBuffer?, pretty: Bool) -> (HTTPResponse.Status, [UInt8]) {
        guard let body else { return (.contentTooLarge, TransformEndpoint.tooLargeBody(pretty: pretty)) }
        do throws(OTLPError) {
            let spans = try OTLPDecoder.decodeJSON(body)
            return (.ok, TransformEndpoint.body(spans, pretty: pretty))
        } catch {
            return (.badRequest, TransformEndpoint.malformedBody(error.description, pretty: pretty))
        }
    }
}
