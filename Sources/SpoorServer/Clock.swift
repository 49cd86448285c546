#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock helpers (spans carry wall-clock times).
package enum Clock {
    /// Nanoseconds since the Unix epoch.
    package static func unixNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Seconds since the Unix epoch.
    package static func unixSeconds() -> Double { Double(unixNanos()) / 1e9 }
}
