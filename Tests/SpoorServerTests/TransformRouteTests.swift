import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import SpoorServer

/// Status codes and bodies of `POST /api/transform`.
struct TransformRouteTests {
    static let oneSpan = #"""
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
        "scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000000a","spanId":"000000000000000b","name":"op",
        "startTimeUnixNano":"2000","endTimeUnixNano":"5000"}]}]}]}
        """#

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func validOTLPJSONAnswersTheTraces() throws {
        let (status, body) = TransformRoute.reply(to: ByteBuffer(string: Self.oneSpan), pretty: false)
        #expect(status == .ok)
        let traces = try #require(try Self.object(body)["data"] as? [[String: Any]])
        #expect(traces.map { $0["traceID"] as? String } == ["000000000000000a"])
        let span = try #require((traces.first?["spans"] as? [[String: Any]])?.first)
        #expect(span["operationName"] as? String == "op")
        #expect(span["duration"] as? Int == 3)
    }

    @Test func invalidJSONIsBadRequestWithUnmarshalMessage() throws {
        let (status, body) = TransformRoute.reply(to: ByteBuffer(string: "{\"resourceSpans\": ["), pretty: false)
        #expect(status == .badRequest)
        let errors = try #require(try Self.object(body)["errors"] as? [[String: Any]])
        let message = try #require(errors.first?["msg"] as? String)
        #expect(message.hasPrefix("cannot unmarshal OTLP : "))
        #expect(errors.first?["code"] as? Int == 400)
    }

    @Test func bodyOverTheLimitIsContentTooLarge() throws {
        let (status, body) = TransformRoute.reply(to: nil, pretty: false)
        #expect(status == .contentTooLarge)
        let errors = try #require(try Self.object(body)["errors"] as? [[String: Any]])
        #expect(errors.first?["code"] as? Int == 413)
    }
}
