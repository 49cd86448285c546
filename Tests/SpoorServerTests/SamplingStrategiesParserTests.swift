import SpoorModel
import Testing

@testable import SpoorServer

struct SamplingStrategiesParserTests {
    private func parse(_ json: String, parser: SamplingStrategiesParser = SamplingStrategiesParser()) throws -> SamplingStrategiesParser.Parsed {
        try parser.parse(Array(json.utf8))
    }

    /// The example of spec/ingest.md §6.1.
    static let specExample = """
        {
          "default_strategy": {"type": "probabilistic", "param": 0.5,
            "operation_strategies": [{"operation": "/health", "type": "probabilistic", "param": 0.0}]},
          "service_strategies": [
            {"service": "foo", "type": "probabilistic", "param": 0.8,
             "operation_strategies": [{"operation": "op1", "type": "probabilistic", "param": 0.2}]},
            {"service": "bar", "type": "ratelimiting", "param": 5}
          ]
        }
        """

    static let health = OperationSamplingStrategy(operation: "/health", samplingRate: 0)

    static let specExampleTable: [(service: String, expected: SamplingStrategyResponse)] = [
        (
            "foo",
            SamplingStrategyResponse(
                strategyType: .probabilistic, probabilisticSamplingRate: 0.8,
                operationSampling: PerOperationSamplingStrategies(
                    defaultSamplingProbability: 0.8,
                    perOperationStrategies: [OperationSamplingStrategy(operation: "op1", samplingRate: 0.2), health]))
        ),
        ("bar", .rateLimiting(5)),
        (
            "unknown-service",
            SamplingStrategyResponse(
                strategyType: .probabilistic, probabilisticSamplingRate: 0.5,
                operationSampling: PerOperationSamplingStrategies(defaultSamplingProbability: 0.5, perOperationStrategies: [health]))
        ),
    ]

    @Test(arguments: specExampleTable)
    func specExampleGivesEachServiceItsStrategy(service: String, expected: SamplingStrategyResponse) throws {
        let parsed = try parse(Self.specExample)
        #expect(parsed.strategies.strategy(for: service) == expected)
        #expect(parsed.warnings.isEmpty)
    }

    @Test(arguments: ["{}", "null", "{\"service_strategies\": []}", "{\"default_strategy\": null}"])
    func fileWithoutDefaultStrategyServesProbabilisticOneInAThousand(json: String) throws {
        let parsed = try parse(json)
        #expect(parsed.strategies.strategy(for: "anything") == .probabilistic(0.001))
    }

    @Test func builtInDefaultProbabilityIsConfigurable() throws {
        let parsed = try parse("{}", parser: SamplingStrategiesParser(defaultProbability: 1))
        #expect(parsed.strategies.defaultStrategy == .probabilistic(1))
    }

    @Test func unknownServiceGetsTheFileDefault() throws {
        let parsed = try parse(#"{"default_strategy": {"type": "ratelimiting", "param": 7}}"#)
        #expect(parsed.strategies.strategy(for: "nobody") == .rateLimiting(7))
    }

    @Test func unknownTypeWarnsAndFallsBackToDefaultProbability() throws {
        let parsed = try parse(#"{"service_strategies": [{"service": "a", "type": "adaptive", "param": 3}, {"service": "b", "param": 3}]}"#)
        #expect(parsed.strategies.strategy(for: "a") == .probabilistic(0.001))
        #expect(parsed.strategies.strategy(for: "b") == .probabilistic(0.001))
        #expect(parsed.warnings.count == 2)
    }

    @Test(arguments: [(5.9, Int32(5)), (0.4, Int32(0)), (-3.7, Int32(-3)), (1e12, Int32.max), (-1e12, Int32.min)])
    func rateLimitingParamIsTruncatedToWholeTraces(param: Double, expected: Int32) throws {
        let parsed = try parse(#"{"default_strategy": {"type": "ratelimiting", "param": \#(param)}}"#)
        #expect(parsed.strategies.defaultStrategy == .rateLimiting(expected))
    }

    @Test func rateLimitedOperationStrategiesAreSkippedWithAWarning() throws {
        let parsed = try parse(
            """
            {"service_strategies": [{"service": "s", "type": "probabilistic", "param": 0.3, "operation_strategies": [
              {"operation": "a", "type": "ratelimiting", "param": 2},
              {"operation": "b", "type": "probabilistic", "param": 0.9}]}]}
            """)
        #expect(
            parsed.strategies.strategy(for: "s").operationSampling
                == PerOperationSamplingStrategies(
                    defaultSamplingProbability: 0.3, perOperationStrategies: [OperationSamplingStrategy(operation: "b", samplingRate: 0.9)]))
        #expect(parsed.warnings.count == 1)
    }

    @Test func rateLimitedServiceWithOperationsUsesDefaultProbabilityForOtherOperations() throws {
        let parsed = try parse(
            """
            {"service_strategies": [{"service": "s", "type": "ratelimiting", "param": 10, "operation_strategies": [
              {"operation": "a", "type": "probabilistic", "param": 0.25}]}]}
            """)
        #expect(
            parsed.strategies.strategy(for: "s")
                == SamplingStrategyResponse(
                    strategyType: .rateLimiting, rateLimitingMaxTracesPerSecond: 10,
                    operationSampling: PerOperationSamplingStrategies(
                        defaultSamplingProbability: 0.001,
                        perOperationStrategies: [OperationSamplingStrategy(operation: "a", samplingRate: 0.25)])))
    }

    static let inheritanceFile = """
        {"default_strategy": {"type": "probabilistic", "param": 0.1, "operation_strategies": [
           {"operation": "x", "type": "probabilistic", "param": 0.01},
           {"operation": "y", "type": "probabilistic", "param": 0.02}]},
         "service_strategies": [
           {"service": "prob", "type": "probabilistic", "param": 0.6},
           {"service": "rate", "type": "ratelimiting", "param": 4},
           {"service": "own", "type": "probabilistic", "param": 0.7, "operation_strategies": [
              {"operation": "y", "type": "probabilistic", "param": 0.9},
              {"operation": "z", "type": "probabilistic", "param": 0.8}]}]}
        """

    @Test func probabilisticServiceInheritsDefaultOperationsWithItsOwnProbability() throws {
        let parsed = try parse(Self.inheritanceFile)
        #expect(
            parsed.strategies.strategy(for: "prob").operationSampling
                == PerOperationSamplingStrategies(
                    defaultSamplingProbability: 0.6,
                    perOperationStrategies: [
                        OperationSamplingStrategy(operation: "x", samplingRate: 0.01),
                        OperationSamplingStrategy(operation: "y", samplingRate: 0.02),
                    ]))
    }

    @Test func rateLimitedServiceDoesNotInheritDefaultOperationsAsInJaeger157() throws {
        let parsed = try parse(Self.inheritanceFile)
        #expect(parsed.strategies.strategy(for: "rate") == .rateLimiting(4))
    }

    @Test func rateLimitedServiceInheritsDefaultOperationsWithBugfix5270() throws {
        let parser = SamplingStrategiesParser(includeDefaultOperationStrategiesForRateLimited: true)
        let parsed = try parse(Self.inheritanceFile, parser: parser)
        let strategy = parsed.strategies.strategy(for: "rate")
        #expect(strategy.rateLimitingMaxTracesPerSecond == 4)
        #expect(strategy.operationSampling?.defaultSamplingProbability == 0.1)
        #expect(strategy.operationSampling?.perOperationStrategies.map(\.operation) == ["x", "y"])
    }

    @Test func serviceOperationsComeFirstThenUnlistedDefaultOperations() throws {
        let parsed = try parse(Self.inheritanceFile)
        #expect(
            parsed.strategies.strategy(for: "own").operationSampling
                == PerOperationSamplingStrategies(
                    defaultSamplingProbability: 0.7,
                    perOperationStrategies: [
                        OperationSamplingStrategy(operation: "y", samplingRate: 0.9),
                        OperationSamplingStrategy(operation: "z", samplingRate: 0.8),
                        OperationSamplingStrategy(operation: "x", samplingRate: 0.01),
                    ]))
    }

    @Test func keysMatchCaseInsensitivelyAndUnknownKeysAreIgnored() throws {
        let parsed = try parse(
            #"{"Default_Strategy": {"TYPE": "probabilistic", "Param": 0.25, "comment": "x"}, "extra": [1, 2]}"#)
        #expect(parsed.strategies.defaultStrategy == .probabilistic(0.25))
    }

    @Test func nullServiceEntriesAreSkippedWithAWarning() throws {
        let parsed = try parse(#"{"service_strategies": [null, {"service": "a", "type": "probabilistic", "param": 1}]}"#)
        #expect(parsed.strategies.serviceStrategies == ["a": .probabilistic(1)])
        #expect(parsed.warnings.count == 1)
    }

    @Test func laterDuplicateServiceEntryWins() throws {
        let parsed = try parse(
            #"{"service_strategies": [{"service": "a", "type": "probabilistic", "param": 1}, {"service": "a", "type": "ratelimiting", "param": 2}]}"#)
        #expect(parsed.strategies.strategy(for: "a") == .rateLimiting(2))
    }

    @Test(arguments: [
        "", "not json", "[]", "{\"default_strategy\": {\"type\": 5}}", "{\"default_strategy\": {\"param\": \"0.5\"}}",
        "{\"service_strategies\": {}}", "{\"default_strategy\": {\"type\": \"probabilistic\", \"param\": 1e999}}",
    ])
    func invalidFilesAreRejected(json: String) {
        #expect(throws: SamplingStrategiesError.self) { try parse(json) }
    }
}
