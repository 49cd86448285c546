import Foundation
import NIOCore
import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorTestSupport
import SpoorWire
import Testing

/// Helpers shared by the api_v3 tests.
enum V3Test {
    static let fixtureRoot: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    /// Parses a response body.
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(bytes))
        return try #require(value as? [String: Any], "not a JSON object: \(String(decoding: bytes, as: UTF8.self))")
    }

    /// The JSON text re-serialised with sorted keys, so documents compare by content.
    static func canonical(_ data: Data) throws -> String {
        let value = try JSONSerialization.jsonObject(with: data)
        let out = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: out, as: UTF8.self)
    }

    static func canonical(_ bytes: [UInt8]) throws -> String { try canonical(Data(bytes)) }

    static func fixture(_ relativePath: String) throws -> Data {
        try Data(contentsOf: fixtureRoot.appendingPathComponent(relativePath))
    }

    /// Spans of a Jaeger storage fixture (`Fixtures/jaeger-storage/traces/<name>.json`).
    static func storageTrace(_ name: String) throws -> [Span] {
        try OTLPDecoder.decodeJSON(ByteBuffer(bytes: try fixture("jaeger-storage/traces/\(name).json")))
    }

    /// Every storage fixture name.
    static func storageTraceNames() throws -> [String] {
        let dir = fixtureRoot.appendingPathComponent("jaeger-storage/traces")
        return try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Decodes the `result` of a v3 traces body as an OTLP export request.
    static func decodeResult(_ body: [UInt8]) throws -> [Span] {
        let result = try #require(try object(body)["result"])
        let data = try JSONSerialization.data(withJSONObject: result)
        return try OTLPDecoder.decodeJSON(ByteBuffer(bytes: data))
    }

    /// Runs `body` with endpoints over a fresh store holding `traces` in the default tenant.
    static func withEndpoints(
        _ traces: [[Span]], tenant: String = "", adjust: @escaping V3Endpoints.Adjust = { $0 },
        _ body: (V3Endpoints) throws -> Void
    ) throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: UInt64.max / 4)
        defer { store.close() }
        for spans in traces where !spans.isEmpty {
            _ = try store.write([store.prepare(tenant: tenant, spans: spans)], now: 1_500_000_000 * 1_000_000_000)
        }
        try body(V3Endpoints(search: TraceSearch(store: store), adjust: adjust))
    }

    /// Query items from `name=value` pairs.
    static func items(_ pairs: KeyValuePairs<String, String>) -> [(name: String, value: String)] {
        pairs.map { (name: $0.key, value: $0.value) }
    }

    /// Runs a throwing endpoint call and returns the failure it throws, if any.
    static func failure(_ call: () throws(V3Failure) -> [UInt8]) -> V3Failure? {
        do {
            _ = try call()
            return nil
        } catch {
            return error
        }
    }
}
