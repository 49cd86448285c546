/// The kernel's UDP counters from `/proc/net/snmp` (for the network namespace the process runs in).
///
/// Datagrams the kernel drops because a socket's receive buffer is full never reach Spoor, so Spoor's own
/// dropped-span counters cannot see them; these counters can. In a pod's own network namespace they are Spoor's.
package enum KernelUDPCounters {
    /// `RcvbufErrors` and `InErrors` of the `Udp:` lines, or nil when the file is missing or unreadable.
    package static func parse(_ snmp: String) -> (receiveBufferErrors: UInt64, inErrors: UInt64)? {
        let lines = snmp.split(separator: "\n").filter { $0.hasPrefix("Udp:") }
        guard lines.count >= 2 else { return nil }
        let names = lines[0].split(separator: " ").dropFirst()
        let values = lines[1].split(separator: " ").dropFirst()
        guard names.count == values.count else { return nil }
        var table: [Substring: UInt64] = [:]
        for (name, value) in zip(names, values) { table[name] = UInt64(value) }
        guard let buffer = table["RcvbufErrors"], let inErrors = table["InErrors"] else { return nil }
        return (buffer, inErrors)
    }

    /// Prometheus text for the counters, read now; empty when they cannot be read.
    package static func prometheusText(path: String = "/proc/net/snmp") -> String {
        guard let bytes = try? BoundedFile.read(path, limit: 64 * 1024).bytes,
            let counters = parse(String(decoding: bytes, as: UTF8.self))
        else { return "" }
        return """
            # HELP spoor_udp_kernel_receive_buffer_errors_total UDP datagrams the kernel dropped because a socket receive buffer was full (this network namespace).
            # TYPE spoor_udp_kernel_receive_buffer_errors_total counter
            spoor_udp_kernel_receive_buffer_errors_total \(counters.receiveBufferErrors)
            # HELP spoor_udp_kernel_in_errors_total UDP datagrams the kernel could not deliver (this network namespace).
            # TYPE spoor_udp_kernel_in_errors_total counter
            spoor_udp_kernel_in_errors_total \(counters.inErrors)

            """
    }
}
