import Foundation
import GRPCCore
import HTTPTypes
import NIOPosix
import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorTestSupport
import SpoorWire
import SwiftProtobuf
import Testing

@testable import SpoorServer

/// `/api/dependencies`, `/api/metrics/*` through the real router, and gRPC `GetDependencies`.
struct MonitorRoutesTests {
    @Test func metricsAndDependenciesRoutesAnswerJSONAndBadRequests() async throws {
        try await UIRoutesTests.withQueryPort(basePath: "/", staticFiles: nil) { send in
            let dependencies = try await send("/api/dependencies?endTs=1767225600000&lookback=604800000", [:])
            #expect(dependencies.status == .ok)
            #expect(dependencies.headers[.contentType] == "application/json")
            #expect(dependencies.text == #"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#)

            let badDependencies = try await send("/api/dependencies?endTs=soon", [:])
            #expect(badDependencies.status == .badRequest)
            #expect(badDependencies.text.contains(#"unable to parse param 'endTs': strconv.ParseInt: parsing \"soon\": invalid syntax"#))

            let query = "service=frontend&endTs=1767225600000&groupByOperation=true&lookback=3600000&quantile=0.95"
                + "&ratePer=600000&spanKind=server&step=60000"
            for (path, name) in [("latencies", "service_operation_latencies"), ("calls", "service_operation_call_rate"),
                                 ("errors", "service_operation_error_rate")] {
                let reply = try await send("/api/metrics/\(path)?\(query)", [:])
                #expect(reply.status == .ok, "\(path)")
                #expect(reply.text.hasPrefix(#"{"name":""# + name + #"","type":"GAUGE","#), "\(path)")
                #expect(reply.text.hasSuffix(#""metrics":[]}"#), "\(path)")
            }

            let noQuantile = try await send("/api/metrics/latencies?service=frontend", [:])
            #expect(noQuantile.status == .badRequest)
            #expect(noQuantile.text.contains(#""code":400"#))
            #expect(noQuantile.text.contains(#"unable to parse param 'quantile'"#))

            let noService = try await send("/api/metrics/calls", [:])
            #expect(noService.status == .badRequest)
            #expect(noService.text.contains("please provide at least one service name"))

            let minStep = try await send("/api/metrics/minstep", [:])
            #expect(minStep.text == #"{"data":60000,"total":0,"limit":0,"offset":0,"errors":null}"#)

            // Other metrics paths stay unknown.
            #expect(try await send("/api/metrics/other", [:]).status == .notFound)
        }
    }

    /// a→b twice at t0, b→c once an hour later.
    static func store(_ directory: TemporaryDirectory) throws -> SpanStore {
        let store = try TestStores.open(directory)
        let t0: UInt64 = 1_767_225_600_000_000
        var spans: [Span] = []
        for (trace, (parent, child, at)) in [("a", "b", t0), ("a", "b", t0 + 1_000), ("b", "c", t0 + 3_600_000_000)].enumerated() {
            spans.append(SpanBuilder.span(trace: UInt64(trace + 1), span: 1, service: parent, startMicros: at))
            spans.append(SpanBuilder.span(trace: UInt64(trace + 1), span: 2, parent: 1, service: child, startMicros: at + 1))
        }
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: t0 * 1_000 + 2 * 3_600_000_000_000)
        return store
    }

    static func timestamp(_ seconds: Int64) -> Google_Protobuf_Timestamp {
        var out = Google_Protobuf_Timestamp()
        out.seconds = seconds
        return out
    }

    @Test func grpcGetDependenciesReadsTheWindowAndChecksTimes() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try Self.store(directory)
        defer { store.close() }
        let search = TraceSearch(store: store)

        var v2 = Jaeger_ApiV2_GetDependenciesRequest()
        v2.startTime = Self.timestamp(1_767_225_600 - 60)
        v2.endTime = Self.timestamp(1_767_225_600 + 600)
        let v2Response = try await QueryGRPCDependencies.v2(v2, tenant: "", search: search, pool: .singleton)
        #expect(v2Response.dependencies.map { "\($0.parent)>\($0.child)=\($0.callCount)/\($0.source)" } == ["a>b=2/"])

        var v3 = Jaeger_ApiV3_GetDependenciesRequest()
        v3.startTime = Self.timestamp(1_767_225_600)
        v3.endTime = Self.timestamp(1_767_225_600 + 7_200)
        let v3Response = try await QueryGRPCDependencies.v3(v3, tenant: "", search: search, pool: .singleton)
        #expect(v3Response.dependencies.map { "\($0.parent)>\($0.child)=\($0.callCount)" } == ["a>b=2", "b>c=1"])

        await #expect(throws: RPCError.self) {
            try await QueryGRPCDependencies.v2(Jaeger_ApiV2_GetDependenciesRequest(), tenant: "", search: search, pool: .singleton)
        }
        var reversed = v3
        reversed.startTime = v3.endTime
        reversed.endTime = v3.startTime
        do {
            _ = try await QueryGRPCDependencies.v3(reversed, tenant: "", search: search, pool: .singleton)
            Issue.record("reversed window accepted")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument)
            #expect(error.message == "startTime must be less than or equal to endTime")
        }
    }
}
