/// Writes the Thrift binary protocol (HTTP 14268 bodies, UDP 6832): big-endian fixed-width
/// integers and doubles, i32 length prefixes, strict message headers (`80 01 00 0t`).
package struct ThriftBinaryWriter: ThriftWriter {
    package private(set) var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    package init(capacity: Int = 1024) {
        bytes.reserveCapacity(max(0, capacity))
    }

    package mutating func writeMessageBegin(name: String, type: ThriftMessageType, sequenceID: Int32) {
        appendBigEndian(UInt32(0x8001_0000) | UInt32(type.rawValue))
        writeString(name)
        appendBigEndian(UInt32(bitPattern: sequenceID))
    }

    package mutating func writeStructBegin() {}

    package mutating func writeStructEnd() {
        bytes.append(ThriftType.stop.rawValue)
    }

    package mutating func writeFieldBegin(id: Int16, type: ThriftType) {
        bytes.append(type.rawValue)
        appendBigEndian(UInt16(bitPattern: id))
    }

    package mutating func writeBoolField(id: Int16, _ value: Bool) {
        writeFieldBegin(id: id, type: .bool)
        bytes.append(value ? 1 : 0)
    }

    package mutating func writeListBegin(elementType: ThriftType, count: Int) {
        bytes.append(elementType.rawValue)
        appendBigEndian(UInt32(clamping: max(0, count)))
    }

    package mutating func writeI32(_ value: Int32) {
        appendBigEndian(UInt32(bitPattern: value))
    }

    package mutating func writeI64(_ value: Int64) {
        appendBigEndian(UInt64(bitPattern: value))
    }

    package mutating func writeDouble(_ value: Double) {
        appendBigEndian(value.bitPattern)
    }

    package mutating func writeString(_ value: String) {
        let utf8 = value.utf8
        appendBigEndian(UInt32(clamping: utf8.count))
        bytes.append(contentsOf: utf8)
    }

    package mutating func writeBinary(_ value: [UInt8]) {
        appendBigEndian(UInt32(clamping: value.count))
        bytes.append(contentsOf: value)
    }

    @inline(__always)
    private mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
    }
}
