/// A 128-bit trace identifier. 64-bit ids have `high == 0`.
public struct TraceID: Hashable, Comparable, Sendable {
    /// The high 64 bits (bytes 0–7, big-endian).
    public var high: UInt64
    /// The low 64 bits (bytes 8–15, big-endian).
    public var low: UInt64

    /// Creates a trace id from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero id, which no valid span carries.
    public static let zero = TraceID(high: 0, low: 0)

    /// True when both halves are zero.
    public var isZero: Bool { high == 0 && low == 0 }

    public static func < (lhs: TraceID, rhs: TraceID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Jaeger UI form: 16 hex digits when the high half is zero, else 32.
    public var uiString: String {
        high == 0 ? Hex.pad16(low) : Hex.pad16(high) + Hex.pad16(low)
    }

    /// Always 32 lowercase hex digits (OTLP and api_v3 form).
    public var hex32: String { Hex.pad16(high) + Hex.pad16(low) }

    /// Parses 1–32 hex digits (case-insensitive); shorter input has implicit leading zeros.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard !utf8.isEmpty, utf8.count <= 32 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in utf8 {
            guard let nibble = Hex.nibble(byte) else { return nil }
            high = (high << 4) | (low >> 60)
            low = (low << 4) | UInt64(nibble)
        }
        self.init(high: high, low: low)
    }

    /// The 16 big-endian bytes, high half first.
    public var bytes: [UInt8] { Hex.bigEndianBytes(high) + Hex.bigEndianBytes(low) }

    /// Reads 16 bytes (high, low) or 8 bytes (low only); empty means zero. Other lengths are nil.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        switch array.count {
        case 0: self = .zero
        case 8: self.init(high: 0, low: Hex.readBigEndian(array[0..<8]))
        case 16: self.init(high: Hex.readBigEndian(array[0..<8]), low: Hex.readBigEndian(array[8..<16]))
        default: return nil
        }
    }
}

/// A 64-bit span identifier.
public struct SpanID: Hashable, Comparable, Sendable {
    /// The id as an unsigned integer.
    public var value: UInt64

    /// Creates a span id.
    public init(_ value: UInt64) { self.value = value }

    /// The zero id, used for "no parent".
    public static let zero = SpanID(0)

    public static func < (lhs: SpanID, rhs: SpanID) -> Bool { lhs.value < rhs.value }

    /// 16 lowercase hex digits, zero-padded.
    public var hex: String { Hex.pad16(value) }

    /// Parses 1–16 hex digits.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard !utf8.isEmpty, utf8.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in utf8 {
            guard let nibble = Hex.nibble(byte) else { return nil }
            value = (value << 4) | UInt64(nibble)
        }
        self.value = value
    }

    /// The 8 big-endian bytes.
    public var bytes: [UInt8] { Hex.bigEndianBytes(value) }

    /// Reads exactly 8 bytes; empty means zero. Other lengths are nil.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        switch array.count {
        case 0: self = .zero
        case 8: self.init(Hex.readBigEndian(array[0..<8]))
        default: return nil
        }
    }
}

/// Hex and big-endian helpers shared by the id types.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// 16 lowercase hex digits of `value`.
    public static func pad16(_ value: UInt64) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            out[i] = digits[Int(v & 0xF)]
            v >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hex of arbitrary bytes.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes an even-length hex string; nil on any non-hex digit.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// Value of one ASCII hex digit.
    @inline(__always)
    public static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// The 8 big-endian bytes of `value`.
    public static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// Reads up to 8 bytes as a big-endian integer.
    public static func readBigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
