import SpoorModel
import Testing

@testable import SpoorStorage

struct KeysTests {
    @Test func lengthPrefixKeepsSplitStringsApart() {
        let a = Keys.tagPrefix(tenant: "", service: "s", key: "ab", value: "c")
        let b = Keys.tagPrefix(tenant: "", service: "s", key: "a", value: "bc")
        #expect(a != b)
    }

    @Test func tenantLeadsEveryKey() {
        let id = TraceID(high: 1, low: 2)
        for key in [
            Keys.summary(tenant: "acme", traceID: id), Keys.spanPrefix(tenant: "acme", traceID: id),
            Keys.servicePrefix(tenant: "acme", service: "s"), Keys.durationPrefix(tenant: "acme", service: "s"),
        ] {
            #expect(Array(key.prefix(5)) == [4] + Array("acme".utf8))
        }
    }

    @Test func bigEndianTimesSortNumerically() {
        var early = Keys.servicePrefix(tenant: "", service: "s")
        var late = early
        Keys.appendUInt64(255, to: &early)
        Keys.appendUInt64(256, to: &late)
        #expect(early.lexicographicallyPrecedes(late))
    }

    @Test func upperBoundExcludesOnlyLongerPrefixes() {
        #expect(Keys.upperBound(of: [1, 2, 0xFF]) == [1, 3])
        #expect(Keys.upperBound(of: [0xFF, 0xFF]) == [0xFF, 0xFF, 0xFF])
    }

    @Test func catalogKeyRoundTrips() {
        let key = Keys.catalog(tenant: "t", service: "svc", operation: "GET /x", kind: .server, bucketStart: 42)
        let parsed = key.withUnsafeBytes { Keys.parseCatalog($0) }
        #expect(parsed?.tenant == "t")
        #expect(parsed?.service == "svc")
        #expect(parsed?.operation == "GET /x")
        #expect(parsed?.kind == .server)
        #expect(parsed?.bucketStart == 42)
    }
}

struct KeyOrderTests {
    @Test(arguments: [
        ([UInt8](), [UInt8]([0]), true), ([1, 2], [1, 2], false), ([1, 2], [1, 3], true), ([1, 2, 0], [1, 2], false),
        ([0xFF], [0x00, 0xFF], false),
    ])
    func lessMatchesBytewiseOrder(a: [UInt8], b: [UInt8], expected: Bool) {
        #expect(Keys.less(a, b) == expected)
        #expect(Keys.less(a, b) == a.lexicographicallyPrecedes(b))
    }
}
