import Foundation
import Testing

@testable import SpoorQuery

struct JSONWriterTests {
    private static func written(pretty: Bool = false, _ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(pretty: pretty)
        body(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func compactOutputKeepsKeysInWrittenOrder() {
        let out = Self.written { w in
            w.beginObject()
            w.key("z")
            w.int(1)
            w.key("a")
            w.beginArray()
            w.bool(true)
            w.bool(false)
            w.null()
            w.endArray()
            w.key("m")
            w.beginObject()
            w.endObject()
            w.key("e")
            w.beginArray()
            w.endArray()
            w.endObject()
        }
        #expect(out == #"{"z":1,"a":[true,false,null],"m":{},"e":[]}"#)
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("q\"b\\s/", #""q\"b\\s/""#),
        ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
        ("\u{00}\u{01}\u{1F}\u{7F}", #""\u0000\u0001\u001f\#u{7F}""#),
        ("héllo ✓ 🚀 中文", #""héllo ✓ 🚀 中文""#),
        ("a\u{2028}b\u{2029}c", #""a\u2028b\u2029c""#),
        ("", #""""#),
    ])
    func stringsEscapeQuotesBackslashesAndControlCharacters(input: String, json: String) throws {
        let out = Self.written { $0.string(input) }
        #expect(out == json)
        let decoded = try JSONSerialization.jsonObject(with: Data(out.utf8), options: [.fragmentsAllowed])
        #expect(decoded as? String == input)
    }

    @Test(arguments: [
        (Int64(0), "0"), (Int64(7), "7"), (Int64(-42), "-42"), (Int64(1_000_000), "1000000"),
        (Int64.max, "9223372036854775807"), (Int64.min, "-9223372036854775808"),
    ])
    func integersAreDecimal(value: Int64, json: String) {
        #expect(Self.written { $0.int(value) } == json)
    }

    @Test func unsignedIntegersReachUInt64Max() {
        #expect(Self.written { $0.uint(UInt64.max) } == "18446744073709551615")
        #expect(Self.written { $0.uint(10_000_000_000_000_000_000) } == "10000000000000000000")
        #expect(Self.written { $0.uint(9) } == "9")
    }

    @Test(arguments: [
        (72.5, "72.5"), (1.0, "1"), (-0.0, "0"), (0.1, "0.1"), (1e21, "1e+21"),
        (Double.leastNonzeroMagnitude, "5e-324"),
        (123_456_789.123, "123456789.123"), (Double.nan, #""NaN""#), (Double.infinity, #""Infinity""#),
        (-Double.infinity, #""-Infinity""#),
    ])
    func doublesRoundTripAndNonFiniteBecomeStrings(value: Double, json: String) throws {
        let out = Self.written { $0.double(value) }
        #expect(out == json)
        if value.isFinite {
            let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8), options: [.fragmentsAllowed])
            #expect((parsed as? NSNumber)?.doubleValue == value)
        }
    }

    @Test func prettyOutputIndentsFourSpacesAndKeepsEmptyContainersInline() {
        let out = Self.written(pretty: true) { w in
            w.beginObject()
            w.key("a")
            w.beginArray()
            w.int(1)
            w.beginObject()
            w.key("b")
            w.string("c")
            w.endObject()
            w.endArray()
            w.key("e")
            w.beginArray()
            w.endArray()
            w.key("o")
            w.beginObject()
            w.endObject()
            w.endObject()
        }
        #expect(
            out == """
                {
                    "a": [
                        1,
                        {
                            "b": "c"
                        }
                    ],
                    "e": [],
                    "o": {}
                }
                """)
    }

    @Test func topLevelScalarsAndArraysNeedNoObject() {
        #expect(Self.written { $0.stringArray(["x", "y"]) } == #"["x","y"]"#)
        #expect(Self.written(pretty: true) { $0.stringArray([]) } == "[]")
        #expect(Self.written { $0.null() } == "null")
    }

    @Test func unbalancedCallsDoNotTrap() {
        let out = Self.written { w in
            w.endObject()
            w.endArray()
            w.key("k")
            w.int(1)
        }
        #expect(out == #"}]"k":1"#)
    }

    @Test func base64EncodesAndDecodesBothAlphabets() {
        #expect(Base64.encode([]) == "")
        #expect(Base64.encode(Array("f".utf8)) == "Zg==")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.decode("Zm8=") == Array("fo".utf8))
        #expect(Base64.decode("Zm8") == Array("fo".utf8))
        #expect(Base64.decode("-_8=") == [0xfb, 0xff])
        #expect(Base64.decode("+/8") == [0xfb, 0xff])
        #expect(Base64.decode("Zm9=") == nil)  // non-zero trailing bits
        #expect(Base64.decode("Z") == nil)
        #expect(Base64.decode("Zm=8") == nil)
        #expect(Base64.decode("Zm 8") == nil)
    }
}
