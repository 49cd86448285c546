import Testing
import GRPCCore
import SpoorModel

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

struct TenantResolverTests {
    private func resolver(enabled: Bool, tenants: Set<ExactString> = []) -> TenantResolver {
        var configuration = TenancyConfiguration()
        configuration.enabled = enabled
        configuration.tenants = tenants
        return TenantResolver(configuration)
    }

    @Test func disabledTenancyUsesTheDefaultTenant() throws {
        #expect(try resolver(enabled: false).tenant(values: []) == TenantResolver.defaultTenant)
        #expect(try resolver(enabled: false).tenant(values: ["acme"]) == TenantResolver.defaultTenant)
    }

    @Test func enabledTenancyValidatesTheHeader() throws {
        let open = resolver(enabled: true)
        #expect(try open.tenant(values: ["anyone"]) == "anyone")
        #expect(throws: TenantError.missing) { try open.tenant(values: []) }
        #expect(throws: TenantError.missing) { try open.tenant(values: [""]) }
        #expect(throws: TenantError.extra) { try open.tenant(values: ["a", "b"]) }
        #expect(throws: TenantError.unknown(String(repeating: "x", count: 256))) {
            try open.tenant(values: [String(repeating: "x", count: 256)])
        }
        let listed = resolver(enabled: true, tenants: ["acme"])
        #expect(try listed.tenant(values: ["acme"]) == "acme")
        #expect(throws: TenantError.unknown("globex")) { try listed.tenant(values: ["globex"]) }
        // Listed tenants match byte for byte: a canonically equivalent spelling is another tenant, not listed.
        let accented = resolver(enabled: true, tenants: ["caf\u{E9}"])
        #expect(try accented.tenant(values: ["caf\u{E9}"]).utf8.elementsEqual("caf\u{E9}".utf8))
        #expect(throws: TenantError.self) { try accented.tenant(values: ["cafe\u{301}"]) }
    }

    @Test func errorsMapToJaegersStatuses() {
        #expect(TenantError.missing.httpStatus == .unauthorized)
        #expect(TenantError.unknown("x").httpStatus == .forbidden)
        #expect(TenantError.missing.rpcError.code == .unauthenticated)
        #expect(TenantError.extra.rpcError.code == .permissionDenied)
        #expect(TenantError.missing.message == "missing tenant header")
    }

    @Test func udpBatchesTakeTheirTenantFromAProcessTag() throws {
        let r = resolver(enabled: true, tenants: ["acme"])
        #expect(try r.tenant(processTagValue: "acme") == "acme")
        #expect(throws: TenantError.missing) { try r.tenant(processTagValue: nil) }
    }
}
