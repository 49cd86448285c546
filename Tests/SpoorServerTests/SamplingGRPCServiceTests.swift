import GRPCCore
import SpoorTestSupport
import SpoorWire
import SpoorModel
import Testing

@testable import SpoorServer

/// `SamplingGRPCService` answers with the store's strategies.
struct SamplingGRPCServiceTests {
    @Test func strategyConvertsToTheProtobufMessage() {
        let strategy = SamplingStrategyResponse(
            strategyType: .probabilistic, probabilisticSamplingRate: 0.5,
            operationSampling: PerOperationSamplingStrategies(
                defaultSamplingProbability: 0.5, perOperationStrategies: [OperationSamplingStrategy(operation: "op", samplingRate: 0.1)]))
        let message = SamplingGRPCService.message(strategy)
        #expect(message.strategyType == .probabilistic)
        #expect(message.probabilisticSampling.samplingRate == 0.5)
        #expect(!message.hasRateLimitingSampling)
        #expect(message.operationSampling.defaultSamplingProbability == 0.5)
        #expect(message.operationSampling.perOperationStrategies.map(\.operation) == ["op"])
        #expect(message.operationSampling.perOperationStrategies.first?.probabilisticSampling.samplingRate == 0.1)

        let rate = SamplingGRPCService.message(.rateLimiting(9))
        #expect(rate.strategyType == .rateLimiting)
        #expect(rate.rateLimitingSampling.maxTracesPerSecond == 9)
        #expect(!rate.hasProbabilisticSampling && !rate.hasOperationSampling)
    }

    @Test func unknownServiceGetsTheDefault() async throws {
        let store = SamplingStrategyStore(
            strategies: SamplingStrategies(defaultStrategy: .probabilistic(0.001), serviceStrategies: ["a": .rateLimiting(3)]),
            logger: TestStores.logger)
        let service = SamplingGRPCService(store: store)
        try await withServerContextRPCCancellationHandle { (handle) async throws -> Void in
            let context = ServerContext(
                descriptor: Jaeger_ApiV2_SamplingManager.Method.GetSamplingStrategy.descriptor, remotePeer: "in-process:1",
                localPeer: "in-process:2", cancellation: handle)
            var parameters = Jaeger_ApiV2_SamplingStrategyParameters()
            parameters.serviceName = "a"
            #expect(try await service.getSamplingStrategy(request: parameters, context: context).rateLimitingSampling.maxTracesPerSecond == 3)
            parameters.serviceName = "b"
            #expect(try await service.getSamplingStrategy(request: parameters, context: context).probabilisticSampling.samplingRate == 0.001)
        }
    }
}
