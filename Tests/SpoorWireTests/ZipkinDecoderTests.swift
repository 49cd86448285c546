import NIOCore
import SpoorModel
import SpoorWire
import Testing

/// Checks a span converted by the current (v2) path against what the client was asked to send.
/// Zipkin carries every tag as text and has no INTERNAL kind, so attributes come back as strings
/// and internal spans have no `span.kind`.
private func checkCurrentPath(
    _ span: Span, trace: String, sent: ClientManifest.SentSpan, service: String, slackMicros: UInt64
) {
    let context = "\(sent.operationName) (\(sent.spanID))"
    #expect(span.traceID.hex32 == trace, "\(context)")
    #expect(span.operationName == sent.operationName)
    if let parent = sent.parentSpanID {
        #expect(
            span.references == [SpanReference(refType: .childOf, traceID: span.traceID, spanID: SpanID(hex: parent)!)])
    } else {
        #expect(span.references.isEmpty, "\(context)")
    }
    let start = span.startTimeUnixNanos / 1000
    #expect(max(start, sent.startTime) - min(start, sent.startTime) <= slackMicros, "\(context) start \(start)")
    let duration = span.durationNanos / 1000
    #expect(
        max(duration, sent.duration) - min(duration, sent.duration) <= slackMicros, "\(context) duration \(duration)")
    #expect(span.flags == 2, "debug (the exporter's sampled flag) is Jaeger's debug flag")

    if sent.kind == "internal" {
        #expect(span.tag("span.kind") == nil, "\(context): Zipkin has no INTERNAL kind")
    } else {
        #expect(span.tag("span.kind") == .string(sent.kind), "\(context)")
    }
    for (key, value) in sent.attributes {
        #expect(span.tag(key) == .string(value.zipkinTagText), "\(context) tag \(key)")
    }
    if sent.error {
        #expect(span.tag("error") == .bool(true), "\(context)")
        #expect(span.tag("otel.status_code") == .string("ERROR"), "\(context)")
        #expect(span.tag("otel.status_description") == .string("card declined"), "\(context)")
        #expect(span.tagCount("error") == 1)
    } else {
        #expect(span.tag("error") == nil, "\(context)")
        #expect(span.tag("otel.status_code") == nil, "\(context)")
    }
    #expect(span.logs.count == sent.events.count, "\(context)")
    for (log, event) in zip(span.logs, sent.events) {
        #expect(log.fields.first == .string("event", event.name), "\(context)")
        for (key, value) in event.attributes {
            #expect(log.fields.first { $0.key == key }?.value == value.attributeValue, "\(context) log field \(key)")
        }
    }

    #expect(span.process.serviceName == service)
    // Resource attributes move to the process; the scope comes back once as otel.scope.*.
    #expect(span.process.tag("telemetry.sdk.language") == .string("python"))
    #expect(span.process.tag("deployment.environment") != nil)
    #expect(span.process.tag("service.name") == nil)
    for key in ["service.name", "telemetry.sdk.language", "host.name", "otel.library.name", "otel.library.version"] {
        #expect(span.tag(key) == nil, "\(context): \(key) is not a span tag")
    }
    #expect(span.tagCount("otel.scope.name") == 1)
    #expect(span.tag("otel.scope.name") == .string("spoor.acceptance"))
    #expect(span.tagCount("otel.scope.version") == 1)
}

struct ZipkinFixtureTests {
    @Test(arguments: ZipkinFixtures.v2JSON)
    func v2JSONClientPayloadMatchesTheManifest(_ name: String) throws {
        let manifest = try ZipkinFixtures.sharedManifest()
        let spans = try ZipkinDecoder.decodeV2JSON(ZipkinFixtures.buffer(name))
        try #require(spans.count == 1)
        let sent = try #require(manifest.spansByID[spans[0].spanID.hex])
        // The exporter rounds ns to µs; the manifest truncates.
        checkCurrentPath(spans[0], trace: sent.traceID, sent: sent.span, service: manifest.sent.service, slackMicros: 1)
    }

    @Test func v2JSONClientPayloadsCoverEverySentSpan() throws {
        let manifest = try ZipkinFixtures.sharedManifest()
        var seen: Set<String> = []
        for name in ZipkinFixtures.v2JSON {
            for span in try ZipkinDecoder.decodeV2JSON(ZipkinFixtures.buffer(name)) { seen.insert(span.spanID.hex) }
        }
        #expect(seen == Set(manifest.spansByID.keys))
        #expect(manifest.files.map(\.file) == ZipkinFixtures.v2JSON)
    }

    @Test(arguments: ZipkinFixtures.v2Proto)
    func v2ProtobufClientPayloadMatchesWhatWasSent(_ name: String) throws {
        let client = try #require(try ZipkinFixtures.captures()["zipkin-proto"])
        let spans = try ZipkinDecoder.decodeV2Proto(ZipkinFixtures.buffer(name))
        try #require(spans.count == 1)
        let span = spans[0]
        let sent = try #require(client.spansByID[span.spanID.hex])
        checkCurrentPath(span, trace: sent.traceID, sent: sent.span, service: client.sent.service, slackMicros: 0)
        #expect(span.tag("net.host.ip") == .string("10.1.2.3"))
        #expect(span.tag("net.host.port") == .int64(8080))
    }

    @Test func v2ProtobufAndJSONOfTheSameClientConvertAlike() throws {
        // The same span shape through both v2 encodings yields the same tag keys in the same order.
        func select(_ names: [String]) throws -> Span {
            let spans = try names.flatMap { try ZipkinFixtures.decode($0, ZipkinFixtures.buffer($0)) }
            return try #require(spans.first { $0.operationName == "SELECT orders" })
        }
        let proto = try select(ZipkinFixtures.v2Proto)
        let json = try select(ZipkinFixtures.v2JSON)
        // The JSON client sent other attributes; the keys both carry come out in the same order.
        let shared = Set(json.tags.map(\.key)).intersection(proto.tags.map(\.key))
        #expect(shared.isSuperset(of: ["db.system", "span.kind", "otel.scope.name", "otel.scope.version"]))
        #expect(proto.tags.map(\.key).filter(shared.contains) == json.tags.map(\.key).filter(shared.contains))
        #expect(
            proto.process.tags.map(\.key).filter { $0.hasPrefix("telemetry.") }
                == json.process.tags.map(\.key).filter { $0.hasPrefix("telemetry.") })
    }

    @Test(arguments: ZipkinFixtures.v1JSON)
    func v1JSONClientPayloadConvertsAsJaegersLegacyConverterDoes(_ name: String) throws {
        let client = try #require(try ZipkinFixtures.captures()["zipkin-v1"])
        let spans = try ZipkinDecoder.decodeV1JSON(ZipkinFixtures.buffer(name))
        try #require(spans.count == 1)
        let span = spans[0]
        let (trace, sent) = try #require(client.spansByID[span.spanID.hex])
        #expect(span.traceID.hex32 == trace)
        #expect(span.operationName == sent.operationName)
        #expect(span.startTimeUnixNanos == sent.startTime * 1000)
        #expect(span.durationNanos == sent.duration * 1000)
        #expect(span.flags == 2)
        if let parent = sent.parentSpanID {
            #expect(
                span.references == [
                    SpanReference(refType: .childOf, traceID: span.traceID, spanID: SpanID(hex: parent)!)
                ])
        } else {
            #expect(span.references.isEmpty)
        }
        // v1 JSON from this exporter has no core annotations, so no span.kind; every tag is a STRING
        // binary annotation, and the error sanitizer turns `error` into a BOOL plus error.message.
        #expect(span.tag("span.kind") == nil)
        for (key, value) in sent.attributes {
            #expect(span.tag(key) == .string(value.zipkinTagText), "tag \(key)")
        }
        if sent.error {
            #expect(span.tag("error") == .bool(true))
            #expect(span.tag("error.message") == .string("card declined"))
            #expect(span.tag("otel.status_code") == .string("ERROR"))
        } else {
            #expect(span.tag("error") == nil)
        }
        #expect(span.tag("telemetry.sdk.language") == .string("python"), "legacy path keeps resource tags on the span")
        #expect(span.logs.count == sent.events.count)
        for (log, event) in zip(span.logs, sent.events) {
            #expect(log.timestampUnixNanos >= span.startTimeUnixNanos)
            #expect(log.fields.first == .string("event", event.name))
            for (key, value) in event.attributes {
                #expect(log.fields.first { $0.key == key }?.value == value.attributeValue, "log field \(key)")
            }
        }
        #expect(span.process.serviceName == client.sent.service)
        #expect(span.process.tags == [.int64("ip", 0x0A01_0203)])
    }
}

struct ZipkinV2JSONTests {
    private func decode(_ json: String) throws -> [Span] {
        try ZipkinDecoder.decodeV2JSON(ByteBuffer(string: json))
    }

    private func one(_ members: String) throws -> Span {
        let spans = try decode(
            #"[{"traceId":"463ac35c9f6413ad48485a3953bb6124","id":"a2fb4a1d1a96d312","name":"get /api","#
                + #""timestamp":1556604172355737,"duration":1431"# + (members.isEmpty ? "" : "," + members) + "}]")
        try #require(spans.count == 1)
        return spans[0]
    }

    @Test func idsTimesAndNameAreDecoded() throws {
        let span = try one(#""parentId":"6b221d5bc9e6496c","localEndpoint":{"serviceName":"frontend"}"#)
        #expect(span.traceID == TraceID(high: 0x463a_c35c_9f64_13ad, low: 0x4848_5a39_53bb_6124))
        #expect(span.spanID == SpanID(0xa2fb_4a1d_1a96_d312))
        #expect(
            span.references == [
                SpanReference(refType: .childOf, traceID: span.traceID, spanID: SpanID(0x6b22_1d5b_c9e6_496c))
            ])
        #expect(span.operationName == "get /api")
        #expect(span.startTimeUnixNanos == 1_556_604_172_355_737_000)
        #expect(span.durationNanos == 1_431_000)
        #expect(span.flags == 0)
        #expect(span.process == Process(serviceName: "frontend"))
        #expect(span.tags.isEmpty)
    }

    /// Tag keys are told apart by their bytes, as Go's map keys are: "caf\u{E9}" and "cafe\u{301}" (equal to Swift's
    /// `String ==`) are two tags with their own values; a repeated key with the same bytes keeps the last value.
    @Test func tagKeysThatDifferOnlyInSpellingAreTwoTags() throws {
        let span = try one(#""tags":{"caf\#u{E9}":"1","cafe\#u{301}":"2","caf\#u{E9}":"3"}"#)
        #expect(span.tags.map { Array($0.key.utf8) } == [Array("caf\u{E9}".utf8), Array("cafe\u{301}".utf8)])
        #expect(span.tags.map(\.value) == [.string("3"), .string("2")])
    }

    @Test func sixteenDigitTraceIDsHaveAZeroHighHalf() throws {
        let spans = try decode(#"[{"traceId":"48485a3953bb6124","id":"1"}]"#)
        #expect(spans.first?.traceID == TraceID(high: 0, low: 0x4848_5a39_53bb_6124))
        #expect(spans.first?.spanID == SpanID(1))
    }

    @Test func parentEqualToIDOrEmptyMeansRoot() throws {
        #expect(try one(#""parentId":"a2fb4a1d1a96d312""#).references.isEmpty)
        #expect(try one(#""parentId":"""#).references.isEmpty)
        #expect(try one(#""parentId":null"#).references.isEmpty)
    }

    @Test(arguments: [
        ("CLIENT", "client"), ("SERVER", "server"), ("PRODUCER", "producer"), ("CONSUMER", "consumer"),
        ("server", "server"),
    ])
    func kindBecomesSpanKindTag(_ kind: String, _ tag: String) throws {
        let span = try one(#""kind":"\#(kind)""#)
        #expect(span.tags == [.string("span.kind", tag)])
        #expect(span.kind == SpanKind(name: tag))
    }

    @Test func withoutKindASpanKindTagIsConsumedAndOnlyInternalKept() throws {
        #expect(
            try one(#""tags":{"span.kind":"internal","a":"b"}"#).tags == [
                .string("a", "b"), .string("span.kind", "internal"),
            ])
        #expect(try one(#""tags":{"span.kind":"client"}"#).tags.isEmpty)
        #expect(try one(#""kind":null,"tags":{"x":"1"}"#).tags == [.string("x", "1")])
        // With a kind, the kind wins.
        #expect(try one(#""kind":"CLIENT","tags":{"span.kind":"odd"}"#).tags == [.string("span.kind", "client")])
    }

    @Test func endpointsBecomeNetAndPeerTagsAfterTheSpanTags() throws {
        let span = try one(
            #""kind":"CLIENT","localEndpoint":{"serviceName":"frontend","ipv4":"192.168.99.1","ipv6":"2001:db8::c001","port":8080},"#
                + #""remoteEndpoint":{"serviceName":"backend","ipv4":"172.19.0.2","port":9000},"tags":{"http.method":"GET"}"#
        )
        #expect(
            span.tags == [
                .string("http.method", "GET"), .string("net.host.ip", "2001:db8::c001"), .int64("net.host.port", 8080),
                .string("peer.service", "backend"), .string("net.peer.ip", "172.19.0.2"), .int64("net.peer.port", 9000),
                .string("span.kind", "client"),
            ])
        #expect(span.process.serviceName == "frontend")
    }

    @Test func endpointTagsReplaceSameNamedTagsInPlace() throws {
        let span = try one(#""remoteEndpoint":{"serviceName":"db"},"tags":{"peer.service":"old","z":"1"}"#)
        #expect(span.tags == [.string("peer.service", "db"), .string("z", "1")])
    }

    @Test func errorTagWithTextIsErrorStatusWithThatDescription() throws {
        let span = try one(#""tags":{"error":"card declined","x":"y"}"#)
        #expect(
            span.tags == [
                .string("x", "y"), .string("otel.status_code", "ERROR"), .bool("error", true),
                .string("otel.status_description", "card declined"),
            ])
        #expect(span.isError)
    }

    @Test(arguments: ["true", "", "TRUE"])
    func errorTagWithoutTextIsErrorStatusWithoutDescription(_ value: String) throws {
        let span = try one(#""tags":{"error":"\#(value)"}"#)
        #expect(span.tags == [.string("otel.status_code", "ERROR"), .bool("error", true)])
    }

    @Test func errorFalseStaysAPlainTag() throws {
        let span = try one(#""tags":{"error":"false"}"#)
        #expect(span.tags == [.string("error", "false")])
        #expect(!span.isError)
    }

    @Test func otelStatusTagsBecomeTheStatus() throws {
        #expect(try one(#""tags":{"otel.status_code":"OK"}"#).tags == [.string("otel.status_code", "OK")])
        #expect(try one(#""tags":{"otel.status_code":"UNSET"}"#).tags.isEmpty)
        let error = try one(
            #""tags":{"otel.status_description":"boom","otel.status_code":"STATUS_CODE_ERROR","error":"other"}"#)
        #expect(
            error.tags == [
                .string("otel.status_code", "ERROR"), .bool("error", true), .string("otel.status_description", "boom"),
            ])
        // A description without a status code is an ordinary tag.
        #expect(try one(#""tags":{"otel.status_description":"d"}"#).tags == [.string("otel.status_description", "d")])
    }

    @Test func libraryTagsBecomeTheScopeOnce() throws {
        let span = try one(#""tags":{"a":"1","otel.library.name":"lib","otel.library.version":"2.0"}"#)
        #expect(
            span.tags == [.string("otel.scope.name", "lib"), .string("otel.scope.version", "2.0"), .string("a", "1")])
        let both = try one(#""tags":{"otel.library.name":"lib","otel.scope.name":"lib","otel.scope.version":"1"}"#)
        #expect(both.tags == [.string("otel.scope.name", "lib"), .string("otel.scope.version", "1")])
        // A version without a name is an ordinary tag.
        #expect(try one(#""tags":{"otel.library.version":"3"}"#).tags == [.string("otel.library.version", "3")])
    }

    @Test func resourceTagsBecomeProcessTags() throws {
        let span = try one(
            #""localEndpoint":{"serviceName":"svc"},"tags":{"service.name":"svc","service.instance.id":"i-1","host.name":"h","#
                + #""telemetry.sdk.name":"opentelemetry","deployment.environment":"prod","faas.trigger":"http","k":"v"}"#
        )
        #expect(
            span.process
                == Process(
                    serviceName: "svc",
                    tags: [
                        .string("service.instance.id", "i-1"), .string("host.name", "h"),
                        .string("telemetry.sdk.name", "opentelemetry"), .string("deployment.environment", "prod"),
                    ]))
        #expect(span.tags == [.string("faas.trigger", "http"), .string("k", "v")])
    }

    @Test func serviceNameFallsBackToTheServiceNameTagThenToOTLPsPlaceholder() throws {
        #expect(try one(#""tags":{"service.name":"from-tag"}"#).process.serviceName == "from-tag")
        #expect(try one(#""localEndpoint":{"serviceName":""}"#).process.serviceName == ServiceNames.otlpNoServiceName)
        #expect(try one("").process.serviceName == ServiceNames.otlpNoServiceName)
    }

    @Test func debugIsFlagTwo() throws {
        #expect(try one(#""debug":true"#).flags == 2)
        #expect(try one(#""debug":false"#).flags == 0)
    }

    @Test func sharedClientAndServerSpansWithOneIDStayTwoSpans() throws {
        let spans = try decode(
            #"[{"traceId":"1","id":"2","kind":"CLIENT","name":"rpc","timestamp":10,"duration":5,"localEndpoint":{"serviceName":"a"}},"#
                + #"{"traceId":"1","id":"2","kind":"SERVER","name":"rpc","timestamp":11,"duration":3,"shared":true,"localEndpoint":{"serviceName":"b"}}]"#
        )
        #expect(spans.count == 2)
        #expect(spans.map(\.spanID) == [SpanID(2), SpanID(2)])
        #expect(spans.map(\.kind) == [.client, .server])
        #expect(spans.map(\.process.serviceName) == ["a", "b"])
        #expect(spans.map(\.startTimeUnixNanos) == [10_000, 11_000])
    }

    @Test func annotationsBecomeEventLogs() throws {
        let span = try one(
            #""annotations":[{"timestamp":1556604172355800,"value":"cache miss"},"#
                + #"{"timestamp":1556604172355900,"value":"{\"retry\": {\"attempt\": 2, \"wait\": 0.5, \"ok\": false, \"why\": \"busy\", \"ids\": [1, 2]}}"},"#
                + #"{"timestamp":1556604172356000,"value":"flush|{\"bytes\":10}|0"},"#
                + #"{"timestamp":1556604172356100,"value":"{\"plain\": \"json\"}"}]"#)
        #expect(
            span.logs == [
                SpanLog(timestampUnixNanos: 1_556_604_172_355_800_000, fields: [.string("event", "cache miss")]),
                SpanLog(
                    timestampUnixNanos: 1_556_604_172_355_900_000,
                    fields: [
                        .string("event", "retry"), .int64("attempt", 2), .float64("wait", 0.5), .bool("ok", false),
                        .string("why", "busy"), .string("ids", "[1,2]"),
                    ]),
                SpanLog(
                    timestampUnixNanos: 1_556_604_172_356_000_000,
                    fields: [.string("event", "flush"), .int64("bytes", 10)]),
                SpanLog(
                    timestampUnixNanos: 1_556_604_172_356_100_000, fields: [.string("event", #"{"plain": "json"}"#)]),
            ])
    }

    @Test func aMissingTimestampIsTheEarliestAnnotations() throws {
        let spans = try decode(
            #"[{"traceId":"1","id":"2","annotations":[{"timestamp":30,"value":"b"},{"timestamp":20,"value":"a"}]}]"#)
        #expect(spans.first?.startTimeUnixNanos == 20_000)
        #expect(try decode(#"[{"traceId":"1","id":"2"}]"#).first?.startTimeUnixNanos == 0)
    }

    @Test func tagsKeepArrivalOrderAndTheLastValueOfARepeatedKey() throws {
        let span = try one(#""tags":{"b":"1","a":"2","b":"3","n":42,"t":true,"skip":null}"#)
        #expect(span.tags == [.string("b", "3"), .string("a", "2"), .string("n", "42"), .string("t", "true")])
    }

    @Test func unknownMembersAndNullSpansAreIgnored() throws {
        let spans = try decode(#"[null,{"traceId":"1","id":"2","extra":{"deep":[1,{"x":null}]},"name":null}]"#)
        #expect(spans.count == 1)
        #expect(spans.first?.operationName == "")
        #expect(try decode("[]").isEmpty)
        #expect(try decode(" \n[ ] \t").isEmpty)
    }

    @Test(arguments: [
        (#"{}"#, "body: expected an array of spans"),
        (#"[1]"#, "[0]: expected a span object"),
        (#"[{"id":"2"}]"#, "[0].traceId: required field is missing"),
        (#"[{"traceId":"1"}]"#, "[0].id: required field is missing"),
        (#"[{"traceId":"xyz","id":"2"}]"#, #"[0].traceId: "xyz" is not 16 or 32 hex digits"#),
        (#"[{"traceId":"1","id":"12345678901234567"}]"#, #"[0].id: "12345678901234567" is not 16 hex digits"#),
        (#"[{"traceId":"0","id":"2"}]"#, "[0].traceId: valid traceId required"),
        (#"[{"traceId":"1","id":"0000000000000000"}]"#, "[0].id: valid span id required"),
        (#"[{"traceId":"1","id":"2","parentId":"zz"}]"#, #"[0].parentId: "zz" is not 16 hex digits"#),
        (#"[{"traceId":"1","id":"2","timestamp":-1}]"#, "[0].timestamp: must not be negative"),
        (#"[{"traceId":"1","id":"2","duration":1.5}]"#, "[0].duration: expected an integer"),
        (#"[{"traceId":1,"id":"2"}]"#, "[0].traceId: expected a string"),
        (
            #"[{"traceId":"1","id":"2","localEndpoint":{"ipv4":"1.2.3"}}]"#,
            #"[0].localEndpoint.ipv4: invalid IPv4 address "1.2.3""#
        ),
        (
            #"[{"traceId":"1","id":"2","remoteEndpoint":{"ipv6":"1:::2"}}]"#,
            #"[0].remoteEndpoint.ipv6: invalid IPv6 address "1:::2""#
        ),
        (
            #"[{"traceId":"1","id":"2","localEndpoint":{"port":70000}}]"#,
            "[0].localEndpoint.port: port 70000 is out of range"
        ),
        (#"[{"traceId":"1","id":"2","tags":{"k":{"x":1}}}]"#, "[0].tags.k: expected a string"),
        (#"[{"traceId":"1","id":"2","tags":[]}]"#, "[0].tags: expected an object"),
        (
            #"[{"traceId":"1","id":"2","annotations":[{"timestamp":"x"}]}]"#,
            "[0].annotations[0].timestamp: expected an integer"
        ),
        (#"[{"traceId":"1","id":"2","debug":"yes"}]"#, "[0].debug: expected true or false"),
    ])
    func invalidSpansAreRejectedWithTheirPath(_ json: String, _ message: String) {
        #expect(throws: (any Error).self) { try decode(json) }
        do {
            _ = try decode(json)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test(arguments: [
        ("", "invalid Zipkin JSON body: empty body at byte 0"),
        ("[", "invalid Zipkin JSON body: unexpected end of input at byte 1"),
        ("[1,]", "invalid Zipkin JSON body: unexpected character ']' at byte 3"),
        ("[] x", "invalid Zipkin JSON body: unexpected data after the JSON value at byte 3"),
        (#"["a"#, "invalid Zipkin JSON body: unterminated string at byte 1"),
        (#"[01]"#, "invalid Zipkin JSON body: expected ',' or ']' at byte 2"),
        (#"[tru]"#, "invalid Zipkin JSON body: invalid literal at byte 1"),
        (#"["\x"]"#, "invalid Zipkin JSON body: invalid escape at byte 2"),
    ])
    func malformedJSONIsRejectedWithTheOffset(_ text: String, _ message: String) {
        do {
            _ = try decode(text)
            Issue.record("decoded \(text)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func jsonStringEscapesAreDecoded() throws {
        let span = try one(#""tags":{"k":"a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x"}"#)
        #expect(span.tags == [.string("k", "a\"b\\c/d\né😀\u{FFFD}x")])
    }
}

struct ZipkinV2ProtoTests {
    private func decode(_ spans: [ProtoWireSpan], debug: Bool = false, limits: DecodingLimits = .default) throws
        -> [Span]
    {
        try ZipkinDecoder.decodeV2Proto(ByteBuffer(bytes: ProtoWireSpan.list(spans)), debug: debug, limits: limits)
    }

    @Test func everyFieldIsDecoded() throws {
        var wire = ProtoWireSpan()
        wire.parentID = [0, 0, 0, 0, 0, 0, 0, 7]
        wire.kind = 2
        wire.local = ("api", [10, 0, 0, 1], nil, 443)
        wire.remote = ("db", nil, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], 5432)
        wire.annotations = [(1_700_000_000_000_100, "wr")]
        wire.tags = [("http.path", "/x"), ("error", "")]
        wire.debug = true
        wire.shared = true
        let span = try #require(try decode([wire]).first)
        #expect(span.traceID == TraceID(high: 0x0a0b_0c0d_0e0f_1011, low: 0x0102_0304_0506_0708))
        #expect(span.spanID == SpanID(0x2a))
        #expect(span.references == [SpanReference(refType: .childOf, traceID: span.traceID, spanID: SpanID(7))])
        #expect(span.operationName == "op")
        #expect(span.startTimeUnixNanos == 1_700_000_000_000_000_000)
        #expect(span.durationNanos == 1_500_000)
        #expect(span.flags == 2)
        #expect(span.process == Process(serviceName: "api"))
        #expect(
            span.tags == [
                .string("http.path", "/x"), .string("net.host.ip", "10.0.0.1"), .int64("net.host.port", 443),
                .string("peer.service", "db"), .string("net.peer.ip", "2001:db8::1"), .int64("net.peer.port", 5432),
                .string("span.kind", "server"), .string("otel.status_code", "ERROR"), .bool("error", true),
            ])
        #expect(span.logs == [SpanLog(timestampUnixNanos: 1_700_000_000_000_100_000, fields: [.string("event", "wr")])])
    }

    @Test func eightByteTraceIDsHaveAZeroHighHalf() throws {
        var wire = ProtoWireSpan()
        wire.traceID = [0, 0, 0, 0, 0, 0, 0, 9]
        #expect(try decode([wire]).first?.traceID == TraceID(high: 0, low: 9))
    }

    @Test func theB3DebugHeaderMarksEverySpanDebug() throws {
        #expect(try decode([ProtoWireSpan(), ProtoWireSpan()], debug: true).map(\.flags) == [2, 2])
        #expect(try decode([ProtoWireSpan()]).map(\.flags) == [0])
    }

    @Test func anEmptyBodyIsAnEmptyList() throws {
        #expect(try ZipkinDecoder.decodeV2Proto(ByteBuffer()).isEmpty)
    }

    @Test func unknownFieldsAndMismatchedWireTypesAreSkipped() throws {
        var w = ProtoTestWriter()
        w.varintField(7, 1)  // unknown top-level field
        w.messageField(1) { s in
            ProtoWireSpan().write(&s)
            s.fixed64Field(99, 1)  // unknown field
            s.tag(98, 5)
            s.raw([1, 2, 3, 4])  // fixed32
            s.varintField(5, 3)  // name with the wrong wire type
            s.bytesField(12, [1])  // debug with the wrong wire type
        }
        let spans = try ZipkinDecoder.decodeV2Proto(ByteBuffer(bytes: w.bytes))
        #expect(spans.count == 1)
        #expect(spans.first?.operationName == "op")
        #expect(spans.first?.flags == 0)
    }

    @Test func repeatedTagKeysKeepTheLastValue() throws {
        var wire = ProtoWireSpan()
        wire.tags = [("a", "1"), ("b", "2"), ("a", "3")]
        #expect(try decode([wire]).first?.tags == [.string("a", "3"), .string("b", "2")])
    }

    @Test func addressesOfTheWrongLengthAndOddPortsAreDropped() throws {
        var wire = ProtoWireSpan()
        wire.local = ("svc", [1, 2, 3], [1, 2], UInt64(bitPattern: -1))
        #expect(try decode([wire]).first?.tags == [])
    }

    /// Wrong ids, each with the error it must produce.
    enum BadID: String, CaseIterable, Sendable {
        case shortTraceID, emptyTraceID, shortSpanID, zeroSpanID, shortParentID

        func apply(to span: inout ProtoWireSpan) {
            switch self {
            case .shortTraceID: span.traceID = [1, 2, 3]
            case .emptyTraceID: span.traceID = []
            case .shortSpanID: span.id = [1]
            case .zeroSpanID: span.id = [UInt8](repeating: 0, count: 8)
            case .shortParentID: span.parentID = [1, 2]
            }
        }

        var message: String {
            switch self {
            case .shortTraceID: return "spans[0].trace_id: must be 8 or 16 bytes, got 3"
            case .emptyTraceID: return "spans[0].trace_id: must be 8 or 16 bytes, got 0"
            case .shortSpanID: return "spans[0].id: must be 8 bytes, got 1"
            case .zeroSpanID: return "spans[0].id: valid span id required"
            case .shortParentID: return "spans[0].parent_id: must be 8 bytes, got 2"
            }
        }
    }

    @Test(arguments: BadID.allCases)
    func invalidIDsAreRejected(_ bad: BadID) {
        var wire = ProtoWireSpan()
        bad.apply(to: &wire)
        do {
            _ = try decode([wire])
            Issue.record("decoded")
        } catch {
            #expect("\(error)" == bad.message)
        }
    }

    @Test func malformedWireDataIsRejected() {
        let cases: [([UInt8], String)] = [
            ([0x0a, 0x05, 0x01], "invalid Zipkin protobuf body: length 5 runs past the end of the message at byte 1"),
            ([0x0b], "invalid Zipkin protobuf body: unsupported wire type 3 at byte 1"),
            ([0x08, 0x80], "invalid Zipkin protobuf body: truncated varint at byte 1"),
            ([0x00], "invalid Zipkin protobuf body: invalid field number 0 at byte 0"),
            (
                [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x02],
                "invalid Zipkin protobuf body: varint overflows 64 bits at byte 1"
            ),
        ]
        for (bytes, message) in cases {
            do {
                _ = try ZipkinDecoder.decodeV2Proto(ByteBuffer(bytes: bytes))
                Issue.record("decoded \(bytes)")
            } catch {
                #expect("\(error)" == message)
            }
        }
    }
}
