import NIOCore

/// Thrift value types, numbered by their binary-protocol ids.
///
/// The compact reader translates its own type nibbles into these, so struct decoding code
/// compares against one set of values whatever the protocol.
package enum ThriftType: UInt8, Sendable {
    case stop = 0
    case bool = 2
    case byte = 3
    case double = 4
    case i16 = 6
    case i32 = 8
    case i64 = 10
    case string = 11
    case `struct` = 12
    case map = 13
    case set = 14
    case list = 15
    case uuid = 16
}

/// Thrift message types (message header).
package enum ThriftMessageType: UInt8, Sendable {
    case call = 1
    case reply = 2
    case exception = 3
    case oneway = 4
}

/// A field header: IDL field id and wire type.
package struct ThriftFieldHeader: Sendable, Equatable {
    /// The field id from the IDL (`1: required i64 traceIdLow` has id 1).
    package var id: Int16
    /// The type the value was written with.
    package var type: ThriftType

    /// Creates a field header.
    package init(id: Int16, type: ThriftType) {
        self.id = id
        self.type = type
    }
}

/// A list or set header. `count` is already checked against limits and remaining bytes.
package struct ThriftListHeader: Sendable, Equatable {
    /// Type of every element; meaningless when `count` is 0.
    package var elementType: ThriftType
    /// Number of elements that follow.
    package var count: Int

    /// Creates a list header.
    package init(elementType: ThriftType, count: Int) {
        self.elementType = elementType
        self.count = count
    }
}

/// A map header. `count` is already checked against limits and remaining bytes.
package struct ThriftMapHeader: Sendable, Equatable {
    /// Type of every key; meaningless when `count` is 0.
    package var keyType: ThriftType
    /// Type of every value; meaningless when `count` is 0.
    package var valueType: ThriftType
    /// Number of key/value pairs that follow.
    package var count: Int

    /// Creates a map header.
    package init(keyType: ThriftType, valueType: ThriftType, count: Int) {
        self.keyType = keyType
        self.valueType = valueType
        self.count = count
    }
}

/// A message header (`Agent.emitBatch` and friends).
package struct ThriftMessageHeader: Sendable, Equatable {
    /// The method name.
    package var name: String
    /// The raw message type (see `ThriftMessageType`).
    package var type: UInt8
    /// The sequence id chosen by the client.
    package var sequenceID: Int32

    /// Creates a message header.
    package init(name: String, type: UInt8, sequenceID: Int32) {
        self.name = name
        self.type = type
        self.sequenceID = sequenceID
    }
}

/// State a reader saves on entering a struct and restores on leaving it.
///
/// The compact protocol encodes field ids as deltas from the previous id *in the same struct*,
/// so the enclosing struct's last id must come back once a nested struct ends.
package struct ThriftStructScope: Sendable {
    /// The enclosing struct's last field id (always 0 for the binary protocol).
    package var enclosingLastFieldID: Int16
}

/// The primitive operations shared by the compact and binary protocol readers.
///
/// Struct decoding is written once, generic over this protocol. A conforming reader walks
/// borrowed bytes and is only valid inside the closure given to `withReader(over:limits:_:)`.
/// Every method throws instead of trapping on bad input; lengths and counts are checked against
/// `limits` and against the bytes that remain before anything is allocated.
package protocol ThriftReader {
    /// The limits this reader enforces.
    var limits: DecodingLimits { get }
    /// Byte offset of the next read, from the start of the input.
    var offset: Int { get }

    /// Runs `body` with a reader over the readable bytes of `buffer`.
    static func withReader<Result>(
        over buffer: ByteBuffer, limits: DecodingLimits,
        _ body: (inout Self) throws(ThriftError) -> Result
    ) throws(ThriftError) -> Result

    /// Reads a message header; trailing bytes after the message are never inspected.
    mutating func readMessageHeader() throws(ThriftError) -> ThriftMessageHeader
    /// Enters a struct: counts one nesting level and resets the field-id delta.
    mutating func readStructBegin() throws(ThriftError) -> ThriftStructScope
    /// Leaves the struct entered with `scope`.
    mutating func readStructEnd(_ scope: ThriftStructScope)
    /// Reads the next field header, or nil at the struct's stop byte.
    mutating func readFieldHeader() throws(ThriftError) -> ThriftFieldHeader?
    /// Reads a list or set header.
    mutating func readListHeader() throws(ThriftError) -> ThriftListHeader
    /// Reads a map header.
    mutating func readMapHeader() throws(ThriftError) -> ThriftMapHeader
    /// Counts one nesting level for a container; throws past `limits.maxDepth`.
    mutating func enterContainer() throws(ThriftError)
    /// Leaves a level entered with `enterContainer()`.
    mutating func leaveContainer()

    /// Reads a bool field value or element.
    mutating func readBool() throws(ThriftError) -> Bool
    /// Reads an i8.
    mutating func readByte() throws(ThriftError) -> Int8
    /// Reads an i16.
    mutating func readI16() throws(ThriftError) -> Int16
    /// Reads an i32 or enum.
    mutating func readI32() throws(ThriftError) -> Int32
    /// Reads an i64.
    mutating func readI64() throws(ThriftError) -> Int64
    /// Reads a double.
    mutating func readDouble() throws(ThriftError) -> Double
    /// Reads a string; invalid UTF-8 is repaired with U+FFFD rather than rejected.
    mutating func readString() throws(ThriftError) -> String
    /// Reads a binary value.
    mutating func readBinary() throws(ThriftError) -> [UInt8]
    /// Skips a string or binary value without copying it.
    mutating func skipBinary() throws(ThriftError)
    /// Skips `count` raw bytes (a UUID is 16).
    mutating func skipRawBytes(_ count: Int) throws(ThriftError)
}

extension ThriftReader {
    /// Reads a `list<struct>` field value: the element type must be struct and the count at most `limit`; each
    /// element is decoded by `element` one nesting level down. At most 1024 elements are reserved up front (the
    /// count is only bounded by the remaining bytes), so larger lists grow as their elements actually decode.
    mutating func readStructList<T>(
        fieldID: Int16, limit: Int, _ element: (inout Self) throws(ThriftError) -> T
    ) throws(ThriftError) -> [T] {
        let header = try readListHeader()
        guard header.count > 0 else { return [] }
        guard header.elementType == .struct else {
            throw .unexpectedType(fieldID: fieldID, wireType: header.elementType.rawValue)
        }
        guard header.count <= limit else { throw .lengthOverLimit(length: header.count, limit: limit) }
        var items: [T] = []
        items.reserveCapacity(min(header.count, 1024))
        try enterContainer()
        for _ in 0..<header.count {
            items.append(try element(&self))
        }
        leaveContainer()
        return items
    }

    /// Skips one value of `type`, recursing into containers up to `limits.maxDepth`.
    package mutating func skip(_ type: ThriftType) throws(ThriftError) {
        switch type {
        case .stop:
            // A stop is not a value; reaching here means a malformed container header.
            throw .invalidType(ThriftType.stop.rawValue, offset: offset)
        case .bool: _ = try readBool()
        case .byte: _ = try readByte()
        case .i16: _ = try readI16()
        case .i32: _ = try readI32()
        case .i64: _ = try readI64()
        case .double: _ = try readDouble()
        case .string: try skipBinary()
        case .uuid: try skipRawBytes(16)
        case .struct:
            let scope = try readStructBegin()
            while let field = try readFieldHeader() {
                try skip(field.type)
            }
            readStructEnd(scope)
        case .list, .set:
            let header = try readListHeader()
            try enterContainer()
            for _ in 0..<header.count {
                try skip(header.elementType)
            }
            leaveContainer()
        case .map:
            let header = try readMapHeader()
            try enterContainer()
            for _ in 0..<header.count {
                try skip(header.keyType)
                try skip(header.valueType)
            }
            leaveContainer()
        }
    }
}

/// Runs `body` over the readable bytes of `buffer`, keeping the typed error.
@inline(__always)
func withReadableBytes<Result>(
    of buffer: ByteBuffer, _ body: (UnsafeRawBufferPointer) throws(ThriftError) -> Result
) throws(ThriftError) -> Result {
    let outcome = buffer.withUnsafeReadableBytes { raw in
        Swift.Result { () throws(ThriftError) -> Result in try body(raw) }
    }
    return try outcome.get()
}
