import HTTPTypes
import Logging
import SpoorTestSupport
import SpoorModel
import Testing

@testable import SpoorServer

struct SamplingRoutesTests {
    static let store = SamplingStrategyStore(
        strategies: SamplingStrategies(defaultStrategy: .probabilistic(0.001), serviceStrategies: ["checkout": .rateLimiting(42)]),
        logger: TestStores.logger)

    static let cases: [(query: String?, encoding: SamplingRoutes.Encoding, status: HTTPResponse.Status, body: String)] = [
        ("service=checkout", .proto, .ok, #"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":42}}"#),
        ("service=checkout", .legacyThrift, .ok, #"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":42}}"#),
        ("service=other", .proto, .ok, #"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}"#),
        ("service=other", .legacyThrift, .ok, #"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.001}}"#),
        ("service=", .proto, .ok, #"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}"#),
        ("x=1&service=check%6Fut", .proto, .ok, #"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":42}}"#),
        (nil, .proto, .badRequest, "'service' parameter must be provided once"),
        ("", .legacyThrift, .badRequest, "'service' parameter must be provided once"),
        ("services=a", .proto, .badRequest, "'service' parameter must be provided once"),
        ("service=a&service=b", .proto, .badRequest, "'service' parameter must be provided once"),
        ("service=a&service=a", .legacyThrift, .badRequest, "'service' parameter must be provided once"),
    ]

    @Test(arguments: cases)
    func serviceParameterSelectsTheStrategy(
        query: String?, encoding: SamplingRoutes.Encoding, status: HTTPResponse.Status, body: String
    ) {
        let reply = SamplingRoutes.reply(query: query, store: Self.store, encoding: encoding)
        #expect(reply.status == status)
        #expect(reply.body == body)
    }

    @Test func successIsJSONAndErrorsArePlainTextWithNewline() async throws {
        let ok = SamplingRoutes.response(query: "service=checkout", store: Self.store, encoding: .proto)
        #expect(ok.status == .ok)
        #expect(ok.headers[.contentType] == "application/json")
        let bad = SamplingRoutes.response(query: nil, store: Self.store, encoding: .proto)
        #expect(bad.status == .badRequest)
        #expect(bad.headers[.contentType] == "text/plain; charset=utf-8")
        #expect(bad.headers[.contentLength] == "\("'service' parameter must be provided once\n".utf8.count)")
    }

    @Test func legacyRateOverThriftI16IsAServerError() {
        let store = SamplingStrategyStore(
            strategies: SamplingStrategies(defaultStrategy: .rateLimiting(40_000)), logger: TestStores.logger)
        let reply = SamplingRoutes.reply(query: "service=a", store: store, encoding: .legacyThrift)
        #expect(reply.status == .internalServerError)
        #expect(reply.body == "cannot marshall to JSON")
    }
}
