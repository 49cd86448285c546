/// Writes Thrift values in one protocol into a growing byte array.
///
/// The jaeger.thrift encoder is generic over this protocol, so one struct layout serves both the
/// binary (HTTP 14268, UDP 6832) and compact (UDP 6831) encodings. Writers never fail: they only
/// append bytes; callers bound what they write (e.g. the UDP datagram size).
package protocol ThriftWriter {
    /// Everything written so far.
    var bytes: [UInt8] { get }

    /// A message header (`name`, `type`, `sequenceID`), as used for `Agent.emitBatch`.
    mutating func writeMessageBegin(name: String, type: ThriftMessageType, sequenceID: Int32)
    /// Opens a struct: field ids that follow are relative to this struct.
    mutating func writeStructBegin()
    /// Closes the innermost struct, writing its stop byte.
    mutating func writeStructEnd()
    /// A field header for a non-bool value; the value follows.
    mutating func writeFieldBegin(id: Int16, type: ThriftType)
    /// A whole bool field (compact carries the value in the header, binary after it).
    mutating func writeBoolField(id: Int16, _ value: Bool)
    /// A list header; `count` elements of `elementType` follow.
    mutating func writeListBegin(elementType: ThriftType, count: Int)
    /// A 32-bit integer (also enums).
    mutating func writeI32(_ value: Int32)
    /// A 64-bit integer.
    mutating func writeI64(_ value: Int64)
    /// An IEEE-754 double.
    mutating func writeDouble(_ value: Double)
    /// A UTF-8 string.
    mutating func writeString(_ value: String)
    /// Raw bytes (Thrift `binary`).
    mutating func writeBinary(_ value: [UInt8])
}
