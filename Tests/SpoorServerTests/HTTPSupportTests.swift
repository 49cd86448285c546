import Testing

@testable import SpoorServer

struct HTTPSupportTests {
    @Test func queryItemsDecodeLikeGo() {
        let items = HTTPSupport.queryItems("service=a+b&tag=http.method%3AGET&minDuration&traceID=1&traceID=2&x=%zz")
        #expect(items.map(\.name) == ["service", "tag", "minDuration", "traceID", "traceID", "x"])
        #expect(items.map(\.value) == ["a b", "http.method:GET", "", "1", "2", "%zz"])
        #expect(HTTPSupport.queryItems(nil).isEmpty)
        #expect(HTTPSupport.queryItems("").isEmpty)
    }

    @Test func percentDecodingHandlesUTF8() {
        #expect(HTTPSupport.decode("caf%C3%A9") == "café")
    }
}

struct HostPortTests {
    @Test(arguments: [
        (":6831", "0.0.0.0", 6831), ("127.0.0.1:4317", "127.0.0.1", 4317), ("[::1]:16686", "::1", 16686),
        ("localhost:0", "localhost", 0),
    ])
    func parsesJaegerHostPortForms(text: String, host: String, port: Int) {
        #expect(HostPort(text) == HostPort(host: host, port: port))
    }

    @Test(arguments: ["6831", ":", ":99999", "host:port", ""])
    func rejectsBadForms(text: String) {
        #expect(HostPort(text) == nil)
    }
}
