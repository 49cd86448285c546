import Testing

@testable import SpoorServer

struct KernelUDPCountersTests {
    static let snmp = """
        Ip: Forwarding DefaultTTL InReceives
        Ip: 1 64 123
        Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
        Udp: 100 2 64 90 61 0 3 0 0
        UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
        UdpLite: 0 0 0 0 0 0 0 0 0
        """

    @Test func readsTheUdpLineNotUdpLite() {
        let counters = KernelUDPCounters.parse(Self.snmp)
        #expect(counters?.receiveBufferErrors == 61)
        #expect(counters?.inErrors == 64)
    }

    @Test func malformedInputIsNil() {
        #expect(KernelUDPCounters.parse("") == nil)
        #expect(KernelUDPCounters.parse("Udp: InErrors RcvbufErrors\nUdp: 1") == nil)
        #expect(KernelUDPCounters.parse("Udp: InErrors\nUdp: 1") == nil)
    }

    @Test func thisMachineExportsBothCounters() {
        let text = KernelUDPCounters.prometheusText()
        #expect(text.contains("spoor_udp_kernel_receive_buffer_errors_total "))
        #expect(text.contains("spoor_udp_kernel_in_errors_total "))
        #expect(KernelUDPCounters.prometheusText(path: "/nonexistent/snmp").isEmpty)
    }
}

struct AdminHealthFormatTests {
    @Test func upSinceIsRFC3339UTCToTheSecond() {
        #expect(AdminRoutes.rfc3339(1_767_225_600.75) == "2026-01-01T00:00:00Z")
        #expect(AdminRoutes.rfc3339(951_782_399) == "2000-02-28T23:59:59Z")
        #expect(AdminRoutes.rfc3339(951_868_800) == "2000-03-01T00:00:00Z")
        #expect(AdminRoutes.rfc3339(0) == "1970-01-01T00:00:00Z")
    }
}
