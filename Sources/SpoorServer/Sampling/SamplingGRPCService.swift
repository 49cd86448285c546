import GRPCCore
import SpoorWire

/// `jaeger.api_v2.SamplingManager/GetSamplingStrategy` (14250 in Jaeger v1): the same strategies as `/sampling`,
/// for clients such as OTel Java's `JaegerRemoteSampler`.
package struct SamplingGRPCService: Jaeger_ApiV2_SamplingManager.SimpleServiceProtocol {
    private let store: SamplingStrategyStore

    /// Creates the service.
    package init(store: SamplingStrategyStore) {
        self.store = store
    }

    package func getSamplingStrategy(
        request: Jaeger_ApiV2_SamplingStrategyParameters, context: ServerContext
    ) async throws -> Jaeger_ApiV2_SamplingStrategyResponse {
        Self.message(store.strategy(for: request.serviceName))
    }

    /// The protobuf form of a strategy; absent sub-messages stay unset.
    package static func message(_ strategy: SamplingStrategyResponse) -> Jaeger_ApiV2_SamplingStrategyResponse {
        var message = Jaeger_ApiV2_SamplingStrategyResponse()
        message.strategyType = strategy.strategyType == .probabilistic ? .probabilistic : .rateLimiting
        if let rate = strategy.probabilisticSamplingRate {
            message.probabilisticSampling.samplingRate = rate
        }
        if let max = strategy.rateLimitingMaxTracesPerSecond {
            message.rateLimitingSampling.maxTracesPerSecond = max
        }
        if let operations = strategy.operationSampling {
            var perOperation = Jaeger_ApiV2_PerOperationSamplingStrategies()
            perOperation.defaultSamplingProbability = operations.defaultSamplingProbability
            perOperation.defaultLowerBoundTracesPerSecond = operations.defaultLowerBoundTracesPerSecond
            perOperation.defaultUpperBoundTracesPerSecond = operations.defaultUpperBoundTracesPerSecond
            perOperation.perOperationStrategies = operations.perOperationStrategies.map { operation in
                var entry = Jaeger_ApiV2_OperationSamplingStrategy()
                entry.operation = operation.operation
                entry.probabilisticSampling.samplingRate = operation.samplingRate
                return entry
            }
            message.operationSampling = perOperation
        }
        return message
    }
}
