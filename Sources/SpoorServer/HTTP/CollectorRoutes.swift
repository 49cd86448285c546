import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SpoorModel
import SpoorWire

/// Limits of the HTTP collectors.
package struct CollectorLimits: Sendable {
    /// Largest request body accepted (after decompression too).
    package var maxRequestBytes = 16 << 20

    /// Defaults.
    package init() {}
}

/// `POST /api/traces` on 14268: a bare Thrift binary `jaeger.Batch`, answered 202 once stored.
package enum ThriftHTTPRoutes {
    /// Adds the route.
    package static func add(to router: Router<BasicRequestContext>, ingestor: SpanIngestor, limits: CollectorLimits, tenancy: TenantResolver) {
        router.post("/api/traces") { request, _ -> Response in
            let transport = Transport.thriftHTTP
            let tenant: String
            do throws(TenantError) {
                tenant = try tenancy.tenant(of: request)
            } catch {
                ingestor.countRejected(transport: transport, code: String(error.httpStatus.code))
                return HTTPSupport.text(error.httpStatus, error.message)
            }
            guard let media = HTTPSupport.mediaType(request) else {
                ingestor.countRejected(transport: transport, code: "400")
                return HTTPSupport.text(.badRequest, "Cannot parse content type: mime: no media type")
            }
            guard media == "application/x-thrift" || media == "application/vnd.apache.thrift.binary" else {
                ingestor.countRejected(transport: transport, code: "400")
                return HTTPSupport.text(.badRequest, "Unsupported content type: \(htmlEscaped(media))")
            }
            guard var body = try await HTTPSupport.body(request, limit: limits.maxRequestBytes) else {
                ingestor.countRejected(transport: transport, code: "413")
                return HTTPSupport.text(.contentTooLarge, "Request body exceeds \(limits.maxRequestBytes) bytes")
            }
            if let encoding = request.headers[.contentEncoding] {
                do {
                    body = try BodyDecompression.decompress(body, encoding: encoding, maxOutputBytes: limits.maxRequestBytes)
                } catch {
                    ingestor.countRejected(transport: transport, code: "400")
                    return HTTPSupport.text(.badRequest, "Unable to process request body: \(error)")
                }
            }
            let spans: [Span]
            do {
                spans = try JaegerThrift.decodeBatch(binary: body)
            } catch {
                ingestor.countRejected(transport: transport, code: "400")
                return HTTPSupport.text(.badRequest, "Unable to process request body: \(error)")
            }
            do throws(IngestError) {
                try await ingestor.ingest(spans, tenant: tenant, transport: transport)
            } catch {
                return overloadResponse(error, transport: transport, ingestor: ingestor, text: true)
            }
            return Response(status: .accepted, headers: [.contentLength: "0"])
        }
    }

    static func htmlEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "'": out += "&#39;"
            case "\"": out += "&#34;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Maps an ingest failure to 503 (retry later) or 500.
func overloadResponse(_ error: IngestError, transport: Transport, ingestor: SpanIngestor, text: Bool) -> Response {
    switch error {
    case .overloaded, .unavailable:
        ingestor.countRejected(transport: transport, code: "503")
        let message = error.isOverload ? "server is overloaded, retry later" : "server is shutting down"
        return HTTPSupport.text(.serviceUnavailable, message, extraHeaders: [.retryAfter: "1"])
    case .storage(let message):
        ingestor.countRejected(transport: transport, code: "500")
        return HTTPSupport.text(.internalServerError, "Cannot submit Jaeger batch: \(message)")
    }
}

extension IngestError {
    var isOverload: Bool {
        if case .overloaded = self { return true }
        return false
    }
}

/// `POST /v1/traces` on 4318: OTLP protobuf or JSON, optionally gzip/deflate compressed.
package enum OTLPHTTPRoutes {
    /// Adds the route (and the 405 answers for other methods).
    package static func add(to router: Router<BasicRequestContext>, ingestor: SpanIngestor, limits: CollectorLimits, tenancy: TenantResolver) {
        router.post("/v1/traces") { request, _ -> Response in
            let transport = Transport.otlpHTTP
            let media = HTTPSupport.mediaType(request)
            let isJSON: Bool
            switch media {
            case "application/x-protobuf": isJSON = false
            case "application/json": isJSON = true
            default:
                ingestor.countRejected(transport: transport, code: "415")
                return HTTPSupport.text(
                    .unsupportedMediaType, "415 unsupported media type, supported: [application/json, application/x-protobuf]")
            }
            let tenant: String
            do throws(TenantError) {
                tenant = try tenancy.tenant(of: request)
            } catch {
                ingestor.countRejected(transport: transport, code: String(error.httpStatus.code))
                let grpcCode: Int32 = error == .missing ? 16 : 7
                return status(error.httpStatus, code: grpcCode, error.message, json: isJSON)
            }
            guard var body = try await HTTPSupport.body(request, limit: limits.maxRequestBytes) else {
                ingestor.countRejected(transport: transport, code: "413")
                return status(.contentTooLarge, code: 8, "request body exceeds \(limits.maxRequestBytes) bytes", json: isJSON)
            }
            if let encoding = request.headers[.contentEncoding] {
                do {
                    body = try BodyDecompression.decompress(body, encoding: encoding, maxOutputBytes: limits.maxRequestBytes)
                } catch {
                    ingestor.countRejected(transport: transport, code: "400")
                    return status(.badRequest, code: 3, "cannot decompress request body: \(error)", json: isJSON)
                }
            }
            let spans: [Span]
            do {
                spans = isJSON ? try OTLPDecoder.decodeJSON(body) : try OTLPDecoder.decodeProtobuf(body)
            } catch {
                ingestor.countRejected(transport: transport, code: "400")
                return status(.badRequest, code: 3, "\(error)", json: isJSON)
            }
            do throws(IngestError) {
                try await ingestor.ingest(spans, tenant: tenant, transport: transport)
            } catch {
                switch error {
                case .overloaded, .unavailable:
                    ingestor.countRejected(transport: transport, code: "503")
                    return status(.serviceUnavailable, code: 14, "server is overloaded, retry later", json: isJSON, retryAfter: true)
                case .storage(let message):
                    ingestor.countRejected(transport: transport, code: "500")
                    return status(.internalServerError, code: 13, message, json: isJSON)
                }
            }
            return isJSON
                ? HTTPSupport.response(.ok, contentType: "application/json", bytes: Array("{}".utf8))
                : HTTPSupport.response(.ok, contentType: "application/x-protobuf", bytes: [])
        }
        for method in [HTTPRequest.Method.get, .put, .delete, .patch] {
            router.on("/v1/traces", method: method) { _, _ -> Response in
                HTTPSupport.text(.methodNotAllowed, "405 method not allowed, supported: [POST]")
            }
        }
    }

    /// A `google.rpc.Status` body in the request's encoding.
    static func status(_ http: HTTPResponse.Status, code: Int32, _ message: String, json: Bool, retryAfter: Bool = false) -> Response {
        let headers: HTTPFields = retryAfter ? [.retryAfter: "1"] : [:]
        if json {
            var text = "{\"code\":\(code),\"message\":\""
            for scalar in message.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case _ where scalar.value < 0x20: text += String(format4(scalar.value))
                default: text.unicodeScalars.append(scalar)
                }
            }
            text += "\"}"
            return HTTPSupport.response(http, contentType: "application/json", bytes: Array(text.utf8), extraHeaders: headers)
        }
        var bytes: [UInt8] = []
        if code != 0 {
            bytes.append(0x08)
            appendVarint(UInt64(code), &bytes)
        }
        let utf8 = Array(message.utf8)
        if !utf8.isEmpty {
            bytes.append(0x12)
            appendVarint(UInt64(utf8.count), &bytes)
            bytes += utf8
        }
        return HTTPSupport.response(http, contentType: "application/x-protobuf", bytes: bytes, extraHeaders: headers)
    }

    private static func format4(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func appendVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
