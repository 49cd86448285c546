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
