/// Jaeger's `SamplingStrategyType` (proto and Thrift agree: PROBABILISTIC = 0, RATE_LIMITING = 1).
package enum SamplingStrategyType: Int32, Sendable, Hashable {
    case probabilistic = 0
    case rateLimiting = 1

    /// The proto enum name (`PROBABILISTIC`, `RATE_LIMITING`).
    package var protoName: String {
        switch self {
        case .probabilistic: return "PROBABILISTIC"
        case .rateLimiting: return "RATE_LIMITING"
        }
    }
}

/// One operation's probabilistic strategy (`OperationSamplingStrategy`).
package struct OperationSamplingStrategy: Sendable, Hashable {
    package var operation: String
    package var samplingRate: Double

    /// Creates an operation strategy.
    package init(operation: String, samplingRate: Double) {
        self.operation = operation
        self.samplingRate = samplingRate
    }
}

/// Per-operation strategies of a service (`PerOperationSamplingStrategies`).
package struct PerOperationSamplingStrategies: Sendable, Hashable {
    package var defaultSamplingProbability: Double
    package var defaultLowerBoundTracesPerSecond: Double
    package var perOperationStrategies: [OperationSamplingStrategy]
    package var defaultUpperBoundTracesPerSecond: Double

    /// Creates per-operation strategies; the bounds default to 0 as in file-based strategies.
    package init(
        defaultSamplingProbability: Double, defaultLowerBoundTracesPerSecond: Double = 0,
        perOperationStrategies: [OperationSamplingStrategy], defaultUpperBoundTracesPerSecond: Double = 0
    ) {
        self.defaultSamplingProbability = defaultSamplingProbability
        self.defaultLowerBoundTracesPerSecond = defaultLowerBoundTracesPerSecond
        self.perOperationStrategies = perOperationStrategies
        self.defaultUpperBoundTracesPerSecond = defaultUpperBoundTracesPerSecond
    }
}

/// What a client is told to sample (`SamplingStrategyResponse`, spec/ingest.md §1.3, §3.2).
///
/// `probabilisticSamplingRate`, `rateLimitingMaxTracesPerSecond` and `operationSampling` are the optional
/// sub-messages; nil ones are left out of the JSON.
package struct SamplingStrategyResponse: Sendable, Hashable {
    package var strategyType: SamplingStrategyType
    /// `probabilisticSampling.samplingRate`, when present.
    package var probabilisticSamplingRate: Double?
    /// `rateLimitingSampling.maxTracesPerSecond`, when present.
    package var rateLimitingMaxTracesPerSecond: Int32?
    package var operationSampling: PerOperationSamplingStrategies?

    /// Creates a response.
    package init(
        strategyType: SamplingStrategyType, probabilisticSamplingRate: Double? = nil, rateLimitingMaxTracesPerSecond: Int32? = nil,
        operationSampling: PerOperationSamplingStrategies? = nil
    ) {
        self.strategyType = strategyType
        self.probabilisticSamplingRate = probabilisticSamplingRate
        self.rateLimitingMaxTracesPerSecond = rateLimitingMaxTracesPerSecond
        self.operationSampling = operationSampling
    }

    /// A PROBABILISTIC strategy.
    package static func probabilistic(_ rate: Double) -> SamplingStrategyResponse {
        SamplingStrategyResponse(strategyType: .probabilistic, probabilisticSamplingRate: rate)
    }

    /// A RATE_LIMITING strategy.
    package static func rateLimiting(_ maxTracesPerSecond: Int32) -> SamplingStrategyResponse {
        SamplingStrategyResponse(strategyType: .rateLimiting, rateLimitingMaxTracesPerSecond: maxTracesPerSecond)
    }

    /// Jaeger v1's strategy when nothing is configured: PROBABILISTIC 0.001.
    package static let jaegerDefaultProbability = 0.001

    // MARK: JSON

    /// Proto-JSON as served on `/sampling` and `/api/sampling`: the enum as a string, absent sub-messages left out,
    /// zero-valued fields inside present ones written out.
    ///
    /// `{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":42}}`
    package var protoJSON: String {
        var out = "{\"strategyType\":\"\(strategyType.protoName)\""
        appendMembers(to: &out, legacy: false)
        return out + "}"
    }

    /// Thrift 0.9.2 JSON as served on the legacy `/`: the enum as an integer. Fails only when `maxTracesPerSecond` does
    /// not fit the Thrift `i16`.
    ///
    /// `{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":42}}`
    package var legacyJSON: String? {
        if let max = rateLimitingMaxTracesPerSecond, max > Int32(Int16.max) { return nil }
        var out = "{\"strategyType\":\(strategyType.rawValue)"
        appendMembers(to: &out, legacy: true)
        return out + "}"
    }

    private func appendMembers(to out: inout String, legacy: Bool) {
        if let rate = probabilisticSamplingRate {
            out += ",\"probabilisticSampling\":"
            Self.appendProbabilistic(rate, to: &out)
        }
        if let max = rateLimitingMaxTracesPerSecond {
            out += ",\"rateLimitingSampling\":{\"maxTracesPerSecond\":\(max)}"
        }
        if let operations = operationSampling {
            out += ",\"operationSampling\":{\"defaultSamplingProbability\":"
            GoJSON.appendDouble(operations.defaultSamplingProbability, to: &out)
            out += ",\"defaultLowerBoundTracesPerSecond\":"
            GoJSON.appendDouble(operations.defaultLowerBoundTracesPerSecond, to: &out)
            out += ",\"perOperationStrategies\":"
            if legacy && operations.perOperationStrategies.isEmpty {
                // The Thrift struct holds a nil Go slice here, which encoding/json writes as null.
                out += "null"
            } else {
                out += "["
                for (i, operation) in operations.perOperationStrategies.enumerated() {
                    if i > 0 { out += "," }
                    out += "{\"operation\":"
                    GoJSON.appendString(operation.operation, to: &out)
                    out += ",\"probabilisticSampling\":"
                    Self.appendProbabilistic(operation.samplingRate, to: &out)
                    out += "}"
                }
                out += "]"
            }
            out += ",\"defaultUpperBoundTracesPerSecond\":"
            GoJSON.appendDouble(operations.defaultUpperBoundTracesPerSecond, to: &out)
            out += "}"
        }
    }

    private static func appendProbabilistic(_ rate: Double, to out: inout String) {
        out += "{\"samplingRate\":"
        GoJSON.appendDouble(rate, to: &out)
        out += "}"
    }
}
