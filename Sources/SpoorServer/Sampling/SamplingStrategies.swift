#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import SpoorModel

/// The strategies of every configured service, and the one for all others.
package struct SamplingStrategies: Sendable, Hashable {
    /// Answered for services without an entry.
    package var defaultStrategy: SamplingStrategyResponse
    /// Per-service answers, already merged with the default's per-operation strategies; services are told apart by
    /// their bytes, as Jaeger's map does.
    package var serviceStrategies: [ExactString: SamplingStrategyResponse]

    /// Creates a set of strategies.
    package init(defaultStrategy: SamplingStrategyResponse, serviceStrategies: [ExactString: SamplingStrategyResponse] = [:]) {
        self.defaultStrategy = defaultStrategy
        self.serviceStrategies = serviceStrategies
    }

    /// What Jaeger answers without a strategies file: PROBABILISTIC `probability` (0.001 in v1) for everyone.
    package static func defaults(probability: Double = SamplingStrategyResponse.jaegerDefaultProbability) -> SamplingStrategies {
        SamplingStrategies(defaultStrategy: .probabilistic(probability))
    }

    /// The strategy for `service`; an unknown service gets the default.
    package func strategy(for service: String) -> SamplingStrategyResponse {
        serviceStrategies[ExactString(service)] ?? defaultStrategy
    }
}

/// Why a strategies file was not loaded.
package enum SamplingStrategiesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened, examined or read.
    case unreadable(path: String, reason: String)
    /// The file is larger than `limit` bytes.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The text is not JSON, or a member has the wrong JSON type.
    case invalidJSON(String)

    package var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read sampling strategies file \(path): \(reason)"
        case .tooLarge(let path, let bytes, let limit):
            return "sampling strategies file \(path) is \(bytes) bytes, more than the limit of \(limit)"
        case .invalidJSON(let detail): return "failed to unmarshal sampling strategies: \(detail)"
        }
    }
}

/// Reads Jaeger's strategies file format (`--sampling.strategies-file`, spec/ingest.md §6.1).
///
/// ```json
/// {"default_strategy": {"type": "probabilistic", "param": 0.5,
///    "operation_strategies": [{"operation": "/health", "type": "probabilistic", "param": 0.0}]},
///  "service_strategies": [{"service": "foo", "type": "ratelimiting", "param": 5}]}
/// ```
///
/// Rules, as Jaeger v1.57 applies them:
/// - `probabilistic` takes `param` as the probability; `ratelimiting` truncates it to whole traces per second; any
///   other type warns and becomes PROBABILISTIC with the default probability.
/// - Without `default_strategy` (or for `null` text) the default is PROBABILISTIC with the default probability.
/// - `operation_strategies` give `operationSampling`: `defaultSamplingProbability` is the service's probability (the
///   default probability for a rate-limited service), bounds are 0; `ratelimiting` operations are skipped with a
///   warning.
/// - A probabilistic service without operation strategies inherits a copy of the default's `operationSampling` with
///   its own probability; a rate-limited one does not (Jaeger's `bugfix-5270` behaviour is opt-in).
/// - A service with operation strategies gets the default's operations it does not list appended.
/// - Key names match case-insensitively and unknown keys are ignored, as Go's `encoding/json` does.
package struct SamplingStrategiesParser: Sendable {
    /// Probability of the built-in default strategy, and of a rate-limited service's per-operation default.
    package var defaultProbability: Double
    /// Also let rate-limited services inherit the default's per-operation strategies (Jaeger's `bugfix-5270`).
    package var includeDefaultOperationStrategiesForRateLimited: Bool

    /// Creates a parser with Jaeger v1's settings.
    package init(
        defaultProbability: Double = SamplingStrategyResponse.jaegerDefaultProbability,
        includeDefaultOperationStrategiesForRateLimited: Bool = false
    ) {
        self.defaultProbability = defaultProbability
        self.includeDefaultOperationStrategiesForRateLimited = includeDefaultOperationStrategiesForRateLimited
    }

    /// The result of a parse: the strategies and the warnings to log.
    package struct Parsed: Sendable {
        package var strategies: SamplingStrategies
        package var warnings: [String]
    }

    /// Parses the file's text.
    /// - Throws: `SamplingStrategiesError.invalidJSON` when the text is not JSON or a member has the wrong type.
    package func parse(_ bytes: [UInt8]) throws(SamplingStrategiesError) -> Parsed {
        let file: FileStrategies?
        do {
            file = try JSONDecoder().decode(FileStrategies?.self, from: Data(bytes))
        } catch {
            throw .invalidJSON(Self.describe(error))
        }
        var warnings: [String] = []
        guard let file else {
            return Parsed(strategies: .defaults(probability: defaultProbability), warnings: [])
        }
        var strategies = SamplingStrategies.defaults(probability: defaultProbability)
        if let defaultStrategy = file.defaultStrategy {
            strategies.defaultStrategy = serviceStrategy(defaultStrategy, name: "default_strategy", warnings: &warnings)
        }
        let defaultOperations = strategies.defaultStrategy.operationSampling
        for (index, entry) in file.serviceStrategies.enumerated() {
            guard let entry else {
                warnings.append("service_strategies[\(index)] is null, skipped")
                continue
            }
            var response = serviceStrategy(entry, name: "service \(entry.service.debugDescription)", warnings: &warnings)
            if let defaultOperations {
                if var own = response.operationSampling {
                    let listed = Set(own.perOperationStrategies.map { ExactString($0.operation) })
                    own.perOperationStrategies += defaultOperations.perOperationStrategies.filter {
                        !listed.contains(ExactString($0.operation))
                    }
                    response.operationSampling = own
                } else if let rate = response.probabilisticSamplingRate {
                    var inherited = defaultOperations
                    inherited.defaultSamplingProbability = rate
                    response.operationSampling = inherited
                } else if includeDefaultOperationStrategiesForRateLimited {
                    response.operationSampling = defaultOperations
                }
            }
            strategies.serviceStrategies[ExactString(entry.service)] = response
        }
        return Parsed(strategies: strategies, warnings: warnings)
    }

    private func serviceStrategy(_ entry: FileServiceStrategy, name: String, warnings: inout [String]) -> SamplingStrategyResponse {
        var response = strategy(type: entry.type, param: entry.param, name: name, warnings: &warnings)
        guard !entry.operationStrategies.isEmpty else { return response }
        var operations = PerOperationSamplingStrategies(
            defaultSamplingProbability: response.strategyType == .probabilistic
                ? (response.probabilisticSamplingRate ?? defaultProbability) : defaultProbability,
            perOperationStrategies: [])
        for (index, operation) in entry.operationStrategies.enumerated() {
            guard let operation else {
                warnings.append("\(name): operation_strategies[\(index)] is null, skipped")
                continue
            }
            let parsed = strategy(
                type: operation.type, param: operation.param, name: "\(name) operation \(operation.operation.debugDescription)",
                warnings: &warnings)
            guard parsed.strategyType == .probabilistic, let rate = parsed.probabilisticSamplingRate else {
                warnings.append(
                    "\(name): operation \(operation.operation.debugDescription) is ratelimiting; operation strategies only "
                        + "support probabilistic sampling, skipped")
                continue
            }
            operations.perOperationStrategies.append(OperationSamplingStrategy(operation: operation.operation, samplingRate: rate))
        }
        response.operationSampling = operations
        return response
    }

    private func strategy(type: String, param: Double, name: String, warnings: inout [String]) -> SamplingStrategyResponse {
        switch type {
        case "probabilistic":
            return .probabilistic(param)
        case "ratelimiting":
            return .rateLimiting(Self.int32(truncating: param))
        default:
            warnings.append("\(name): unknown strategy type \(type.debugDescription), using probabilistic \(defaultProbability)")
            return .probabilistic(defaultProbability)
        }
    }

    /// Truncates toward zero, clamping to the Int32 range.
    static func int32(truncating value: Double) -> Int32 {
        guard value.isFinite else { return value > 0 ? .max : (value < 0 ? .min : 0) }
        if value >= Double(Int32.max) { return .max }
        if value <= Double(Int32.min) { return .min }
        return Int32(value.rounded(.towardZero))
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "expected \(type)\(path(context))"
        case .valueNotFound(let type, let context):
            return "expected \(type)\(path(context))"
        case .keyNotFound(let key, let context):
            return "missing \(key.stringValue)\(path(context))"
        case .dataCorrupted(let context):
            return "\(context.debugDescription)\(path(context))"
        @unknown default:
            return String(describing: error)
        }
    }
}

// MARK: File model

/// A JSON key matched like Go's `encoding/json`: exact name first, then case-insensitively.
private struct FileKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension KeyedDecodingContainer where K == FileKey {
    fileprivate func key(_ name: String) -> FileKey? {
        if contains(FileKey(stringValue: name)) { return FileKey(stringValue: name) }
        let lowered = name.lowercased()
        return allKeys.first { $0.stringValue.lowercased() == lowered }
    }

    fileprivate func value<T: Decodable>(_ type: T.Type, _ name: String) throws -> T? {
        guard let key = key(name) else { return nil }
        return try decodeIfPresent(type, forKey: key)
    }

    /// A finite number (Go's decoder refuses numbers out of the float64 range).
    fileprivate func number(_ name: String) throws -> Double? {
        guard let key = key(name), let value = try decodeIfPresent(Double.self, forKey: key) else { return nil }
        guard value.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "number out of range")
        }
        return value
    }
}

private struct FileStrategies: Decodable {
    var defaultStrategy: FileServiceStrategy?
    var serviceStrategies: [FileServiceStrategy?]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FileKey.self)
        defaultStrategy = try container.value(FileServiceStrategy.self, "default_strategy")
        serviceStrategies = try container.value([FileServiceStrategy?].self, "service_strategies") ?? []
    }
}

private struct FileServiceStrategy: Decodable {
    var service: String
    var type: String
    var param: Double
    var operationStrategies: [FileOperationStrategy?]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FileKey.self)
        service = try container.value(String.self, "service") ?? ""
        type = try container.value(String.self, "type") ?? ""
        param = try container.number("param") ?? 0
        operationStrategies = try container.value([FileOperationStrategy?].self, "operation_strategies") ?? []
    }
}

private struct FileOperationStrategy: Decodable {
    var operation: String
    var type: String
    var param: Double

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FileKey.self)
        operation = try container.value(String.self, "operation") ?? ""
        type = try container.value(String.self, "type") ?? ""
        param = try container.number("param") ?? 0
    }
}
