import Foundation
import SpoorModel
import Testing

@testable import SpoorQuery

/// Foundation also has a `Process`.
private typealias Process = SpoorModel.Process

/// Golden tests against Jaeger's own UI-model fixtures (Fixtures/ui-model, provenance in SOURCE.txt).
///
/// Both fixtures come from conversions that apply no adjusters (`FromDomain`, `/api/transform`), so
/// nothing is ignored: the comparison is of whole documents after parsing both sides and re-serialising
/// them with sorted keys (key order and indentation are free; values and types must match).
struct UIModelGoldenTests {
    @Test func domain01RendersAsJaegersUI01() throws {
        let domain = try UIModelFixtures.object("domain_01")
        let trace = try DomainJSON.trace(domain)

        var writer = JSONWriter()
        writer.uiTrace(trace.spans, warnings: trace.warnings)

        #expect(try UIModelFixtures.canonical(Data(writer.bytes)) == UIModelFixtures.canonical(fixture: "ui_01"))
    }

    @Test func domain01InEnvelopeMatchesGoldenTraceAsData() throws {
        let trace = try DomainJSON.trace(try UIModelFixtures.object("domain_01"))
        let body = UIJSON.traces([(spans: trace.spans, warnings: trace.warnings)], notFound: [], pretty: true)

        let expectedTrace = try UIModelFixtures.object("ui_01")
        let envelope: [String: Any] = [
            "data": [expectedTrace], "total": 0, "limit": 0, "offset": 0, "errors": NSNull(),
        ]
        let expected = try JSONSerialization.data(withJSONObject: envelope)
        #expect(try UIModelFixtures.canonical(Data(body)) == UIModelFixtures.canonical(expected))
    }

    /// The spans `/api/transform` builds from `otlp2jaeger-in.json` (OTLP→model conversion is SpoorWire's;
    /// here the model values are written out by hand).
    @Test func otlpTransformOutputMatchesJaegersResponse() throws {
        let traceID = try #require(TraceID(hex: "83a9efd15c1c98a977e0711cc93ee28b"))
        let span = Span(
            traceID: traceID,
            spanID: try #require(SpanID(hex: "e127af99e3b3e074")),
            operationName: "okey-dokey-0",
            references: [
                SpanReference(
                    refType: .childOf, traceID: traceID, spanID: try #require(SpanID(hex: "909541b92cf05311")))
            ],
            startTimeUnixNanos: 1_706_678_909_209_712_000,
            durationNanos: 1_706_678_909_209_835_000 - 1_706_678_909_209_712_000,
            tags: [
                .string("otel.scope.name", "telemetrygen"),
                .string("net.peer.ip", "1.2.3.4"),
                .string("peer.service", "telemetrygen-client"),
                .string("span.kind", "server"),
            ],
            process: Process(serviceName: "telemetrygen")
        )

        let body = UIJSON.traces([[span, span]])

        #expect(try UIModelFixtures.canonical(Data(body)) == UIModelFixtures.canonical(fixture: "otlp2jaeger-out"))
    }
}

/// Loads and canonicalises the ui-model fixtures.
enum UIModelFixtures {
    static func data(_ name: String) throws -> Data {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/ui-model"))
        return try Data(contentsOf: url)
    }

    static func object(_ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data(name)) as? [String: Any])
    }

    /// Sorted-key, indented re-serialisation: equal for semantically equal JSON documents.
    static func canonical(_ json: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    static func canonical(fixture name: String) throws -> String {
        try canonical(data(name))
    }
}

/// Reads Jaeger's jsonpb domain form (`jaeger.api_v2.Trace`/`Span`) into SpoorModel values, enough for
/// the fixtures: base64 ids, RFC 3339 timestamps, Go duration strings, `vType`-tagged values.
enum DomainJSON {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func trace(_ object: [String: Any]) throws -> (spans: [Span], warnings: [String]) {
        let spans = try (object["spans"] as? [[String: Any]] ?? []).map(span)
        return (spans, object["warnings"] as? [String] ?? [])
    }

    static func span(_ object: [String: Any]) throws -> Span {
        Span(
            traceID: try traceID(object["traceId"]),
            spanID: try spanID(object["spanId"]),
            operationName: object["operationName"] as? String ?? "",
            references: try (object["references"] as? [[String: Any]] ?? []).map { ref in
                SpanReference(
                    refType: (ref["refType"] as? String) == "FOLLOWS_FROM" ? .followsFrom : .childOf,
                    traceID: try traceID(ref["traceId"]),
                    spanID: try spanID(ref["spanId"]))
            },
            flags: UInt32((object["flags"] as? NSNumber)?.uint32Value ?? 0),
            startTimeUnixNanos: try rfc3339Nanos(object["startTime"]),
            durationNanos: try GoDuration.parse(object["duration"] as? String ?? "0"),
            tags: try keyValues(object["tags"]),
            logs: try (object["logs"] as? [[String: Any]] ?? []).map { log in
                SpanLog(timestampUnixNanos: try rfc3339Nanos(log["timestamp"]), fields: try keyValues(log["fields"]))
            },
            process: Process(
                serviceName: (object["process"] as? [String: Any])?["serviceName"] as? String ?? "",
                tags: try keyValues((object["process"] as? [String: Any])?["tags"])),
            warnings: object["warnings"] as? [String] ?? []
        )
    }

    static func keyValues(_ any: Any?) throws -> [Attribute] {
        try (any as? [[String: Any]] ?? []).map { kv in
            let key = kv["key"] as? String ?? ""
            switch kv["vType"] as? String ?? "STRING" {
            case "STRING": return .string(key, kv["vStr"] as? String ?? "")
            case "BOOL": return .bool(key, kv["vBool"] as? Bool ?? false)
            case "INT64":
                // jsonpb may write int64 as a number or a string.
                if let text = kv["vInt64"] as? String, let value = Int64(text) { return .int64(key, value) }
                return .int64(key, (kv["vInt64"] as? NSNumber)?.int64Value ?? 0)
            case "FLOAT64": return .float64(key, (kv["vFloat64"] as? NSNumber)?.doubleValue ?? 0)
            case "BINARY":
                let bytes = try #require(Base64.decode(kv["vBinary"] as? String ?? ""))
                return Attribute(key: key, value: .binary(bytes))
            case let other: throw Failure(description: "unknown vType \(other)")
            }
        }
    }

    static func traceID(_ any: Any?) throws -> TraceID {
        let bytes = try #require(Base64.decode(any as? String ?? ""))
        return try #require(TraceID(bytes: bytes))
    }

    static func spanID(_ any: Any?) throws -> SpanID {
        let bytes = try #require(Base64.decode(any as? String ?? ""))
        return try #require(SpanID(bytes: bytes))
    }

    /// `2017-01-26T16:46:31.639875139-05:00` → Unix nanoseconds.
    static func rfc3339Nanos(_ any: Any?) throws -> UInt64 {
        let text = Array((any as? String ?? "").utf8)
        func number(_ range: Range<Int>) throws -> Int64 {
            guard range.upperBound <= text.count, let value = Int64(String(decoding: text[range], as: UTF8.self))
            else { throw Failure(description: "bad timestamp \(String(decoding: text, as: UTF8.self))") }
            return value
        }
        let (year, month, day) = (try number(0..<4), try number(5..<7), try number(8..<10))
        let (hour, minute, second) = (try number(11..<13), try number(14..<16), try number(17..<19))
        var i = 19
        var nanos: Int64 = 0
        if i < text.count, text[i] == UInt8(ascii: ".") {
            var digits = 0
            i += 1
            while i < text.count, text[i] >= UInt8(ascii: "0"), text[i] <= UInt8(ascii: "9") {
                if digits < 9 {
                    nanos = nanos * 10 + Int64(text[i] - UInt8(ascii: "0"))
                    digits += 1
                }
                i += 1
            }
            for _ in digits..<9 { nanos *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if i < text.count, text[i] != UInt8(ascii: "Z") {
            let sign: Int64 = text[i] == UInt8(ascii: "-") ? -1 : 1
            offsetSeconds = sign * (try number(i + 1..<i + 3) * 3600 + number(i + 4..<i + 6) * 60)
        }
        let seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return UInt64(seconds) * 1_000_000_000 + UInt64(nanos)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (March-based year, 400-year eras).
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
