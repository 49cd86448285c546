import SpoorModel

/// Rewrites numeric `ip` and `peer.ipv4` tags (an IPv4 address packed into 32 bits, as old Jaeger clients
/// send it) as dotted text, in span tags and process tags.
///
/// As Jaeger: an int64 keeps its low 32 bits; a float64 is truncated to an integer first. Other types are
/// left alone.
package enum IPTagNormalizer {
    /// The tag keys rewritten.
    package static let keys: Set<String> = ["ip", "peer.ipv4"]

    /// Returns the trace with dotted IPv4 tags.
    package static func adjust(_ spans: [Span]) -> [Span] {
        spans.map { span in
            var span = span
            span.tags = normalized(span.tags)
            span.process.tags = normalized(span.process.tags)
            return span
        }
    }

    private static func normalized(_ tags: [Attribute]) -> [Attribute] {
        tags.map { tag in
            guard keys.contains(tag.key), let packed = packedAddress(tag.value) else { return tag }
            return .string(tag.key, dotted(packed))
        }
    }

    /// The 32-bit address a numeric value carries; nil for other types.
    static func packedAddress(_ value: AttributeValue) -> UInt32? {
        switch value {
        case .int64(let number):
            return UInt32(truncatingIfNeeded: number)
        case .float64(let number):
            let whole = number.rounded(.towardZero)
            guard let integer = Int64(exactly: whole) else { return 0 }
            return UInt32(truncatingIfNeeded: integer)
        default:
            return nil
        }
    }

    /// `0x08080808` → `8.8.8.8`.
    static func dotted(_ address: UInt32) -> String {
        [24, 16, 8, 0].map { String((address >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }
}
