import Testing

@testable import SpoorServer

struct SamplingJSONTests {
    static let perOperation = SamplingStrategyResponse(
        strategyType: .probabilistic, probabilisticSamplingRate: 0.5,
        operationSampling: PerOperationSamplingStrategies(
            defaultSamplingProbability: 0.5,
            perOperationStrategies: [
                OperationSamplingStrategy(operation: "op1", samplingRate: 0.2),
                OperationSamplingStrategy(operation: "/health", samplingRate: 0),
            ]))

    static let shapes: [(SamplingStrategyResponse, proto: String, legacy: String)] = [
        (
            .probabilistic(0.001),
            #"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}"#,
            #"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.001}}"#
        ),
        (
            .rateLimiting(42),
            #"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":42}}"#,
            #"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":42}}"#
        ),
        (
            .probabilistic(1),
            #"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}}"#,
            #"{"strategyType":0,"probabilisticSampling":{"samplingRate":1}}"#
        ),
        (
            perOperation,
            #"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5},"operationSampling":{"#
                + #""defaultSamplingProbability":0.5,"defaultLowerBoundTracesPerSecond":0,"perOperationStrategies":["#
                + #"{"operation":"op1","probabilisticSampling":{"samplingRate":0.2}},"#
                + #"{"operation":"/health","probabilisticSampling":{"samplingRate":0}}],"defaultUpperBoundTracesPerSecond":0}}"#,
            #"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.5},"operationSampling":{"#
                + #""defaultSamplingProbability":0.5,"defaultLowerBoundTracesPerSecond":0,"perOperationStrategies":["#
                + #"{"operation":"op1","probabilisticSampling":{"samplingRate":0.2}},"#
                + #"{"operation":"/health","probabilisticSampling":{"samplingRate":0}}],"defaultUpperBoundTracesPerSecond":0}}"#
        ),
        (
            SamplingStrategyResponse(
                strategyType: .rateLimiting, rateLimitingMaxTracesPerSecond: 3,
                operationSampling: PerOperationSamplingStrategies(defaultSamplingProbability: 0.001, perOperationStrategies: [])),
            #"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":3},"operationSampling":{"#
                + #""defaultSamplingProbability":0.001,"defaultLowerBoundTracesPerSecond":0,"perOperationStrategies":[],"#
                + #""defaultUpperBoundTracesPerSecond":0}}"#,
            #"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":3},"operationSampling":{"#
                + #""defaultSamplingProbability":0.001,"defaultLowerBoundTracesPerSecond":0,"perOperationStrategies":null,"#
                + #""defaultUpperBoundTracesPerSecond":0}}"#
        ),
    ]

    @Test(arguments: shapes)
    func responsesRenderExactlyAsJaeger(response: SamplingStrategyResponse, proto: String, legacy: String) {
        #expect(response.protoJSON == proto)
        #expect(response.legacyJSON == legacy)
    }

    @Test func legacyShapeFailsWhenRateDoesNotFitThriftI16() {
        #expect(SamplingStrategyResponse.rateLimiting(40_000).legacyJSON == nil)
        #expect(
            SamplingStrategyResponse.rateLimiting(40_000).protoJSON
                == #"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":40000}}"#)
    }

    @Test(arguments: [
        (0.001, "0.001"), (1, "1"), (0, "0"), (-0.0, "-0"), (0.5, "0.5"), (-2.5, "-2.5"), (1e-6, "0.000001"),
        (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (1e-100, "1e-100"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
        (1e100, "1e+100"), (123456789012, "123456789012"), (0.1 + 0.2, "0.30000000000000004"), (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (12.5e-5, "0.000125"),
    ])
    func doublesRenderLikeGoEncodingJSON(value: Double, expected: String) {
        var out = ""
        GoJSON.appendDouble(value, to: &out)
        #expect(out == expected)
    }

    @Test func operationNamesAreEscapedLikeGo() {
        var out = ""
        GoJSON.appendString("a\"b\\c<d>&e\n\u{1}\u{2028}é", to: &out)
        #expect(out == #""a\"b\\c\u003cd\u003e\u0026e\n\u0001\u2028é""#)
    }
}
