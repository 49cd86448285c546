import Foundation
import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorQuery

/// Foundation also has a `Process`.
private typealias Process = SpoorModel.Process

/// Model → OTLP JSON (`V3JSON.traces`) → `OTLPDecoder` gives the spans back (spec/ingest.md §4.3).
struct V3RoundTripTests {
    @Test func everyJaegerStorageFixtureSurvivesTheRoundTrip() throws {
        let names = try V3Test.storageTraceNames()
        #expect(names.count == 32)
        for name in names {
            let original = try V3Test.storageTrace(name)
            let decoded = try V3Test.decodeResult(V3JSON.traces([original]))
            #expect(decoded.count == original.count, "\(name)")
            #expect(Set(decoded) == Set(original), "\(name)")
        }
    }

    @Test func allFixturesInOneBodyComeBackTogether() throws {
        let traces = try V3Test.storageTraceNames().map { try V3Test.storageTrace($0) }
        let decoded = try V3Test.decodeResult(V3JSON.traces(traces))
        #expect(decoded.count == traces.reduce(0) { $0 + $1.count })
        #expect(Set(decoded) == Set(traces.joined()))
    }

    /// What §4.3 changes: host and Jaeger-version process tags are renamed, and a status derived from
    /// `http.status_code` comes back as `otel.status_code` / `error` tags.
    @Test func richTraceComesBackWithOnlyTheDocumentedChanges() throws {
        let original = V3JSONTests.richTrace()
        let decoded = try V3Test.decodeResult(V3JSON.traces([original]))
        #expect(decoded.count == 3)

        var expected = original
        let renamed = Process(
            serviceName: "checkout",
            tags: [.string("host.name", "h1"), .string("opencensus.exporterversion", "Jaeger-Go-2.30.0"), .string("ip", "10.0.0.1")])
        expected[0].process = renamed
        expected[1].process = renamed
        expected[1].tags = [
            .int64("http.status_code", 404), .bool("error", false), .string("span.kind", "client"),
            .string("otel.status_code", "ERROR"), .bool("error", true),
        ]
        let byID = Dictionary(uniqueKeysWithValues: decoded.map { ($0.spanID, $0) })
        for span in expected {
            #expect(byID[span.spanID] == span, "span \(span.spanID.hex)")
        }
    }
}
