/// Decodes zipkincore.thrift structs, once for the compact and binary protocols.
///
/// Field ids (spec/ingest.md §2.7; ids 2 and 7 of Span are unused):
/// ```
/// Span              1 i64 trace_id   3 string name   4 i64 id   5 i64 parent_id
///                   6 list<Annotation> annotations   8 list<BinaryAnnotation> binary_annotations
///                   9 bool debug   10 i64 timestamp (µs)   11 i64 duration (µs)   12 i64 trace_id_high
/// Annotation        1 i64 timestamp   2 string value   3 Endpoint host
/// BinaryAnnotation  1 string key   2 binary value   3 i32 annotation_type   4 Endpoint host
/// Endpoint          1 i32 ipv4   2 i16 port   3 string service_name   4 binary ipv6
/// ```
/// zipkincore declares no field `required`, so absent fields take zero values; unknown ids and
/// known ids with another wire type are skipped, as Thrift's generated code does.
enum ZipkinThriftDecoder {
    /// `list<zipkincore.Span>`: the HTTP `/api/v1/spans` Thrift body and the `emitZipkinBatch` argument.
    static func readSpanList<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> [ZipkinV1Span] {
        try reader.readStructList(fieldID: 1, limit: reader.limits.maxSpansPerBatch) { (reader: inout R) throws(ThriftError) in
            try readSpan(&reader)
        }
    }

    static func readSpan<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> ZipkinV1Span {
        var span = ZipkinV1Span()
        let scope = try reader.readStructBegin()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i64): span.traceID = try reader.readI64()
            case (3, .string): span.name = try reader.readString()
            case (4, .i64): span.id = try reader.readI64()
            case (5, .i64): span.parentID = try reader.readI64()
            case (6, .list): span.annotations = try readAnnotations(&reader)
            case (8, .list): span.binaryAnnotations = try readBinaryAnnotations(&reader)
            case (9, .bool): span.debug = try reader.readBool()
            case (10, .i64): span.timestamp = try reader.readI64()
            case (11, .i64): span.duration = try reader.readI64()
            case (12, .i64): span.traceIDHigh = try reader.readI64()
            default: try reader.skip(field.type)
            }
        }
        reader.readStructEnd(scope)
        return span
    }

    static func readAnnotations<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> [ZipkinV1Annotation] {
        try reader.readStructList(fieldID: 6, limit: reader.limits.maxListElements) {
            (reader: inout R) throws(ThriftError) -> ZipkinV1Annotation in
            var annotation = ZipkinV1Annotation()
            let scope = try reader.readStructBegin()
            while let field = try reader.readFieldHeader() {
                switch (field.id, field.type) {
                case (1, .i64): annotation.timestamp = try reader.readI64()
                case (2, .string): annotation.value = try reader.readString()
                case (3, .struct): annotation.host = try readEndpoint(&reader)
                default: try reader.skip(field.type)
                }
            }
            reader.readStructEnd(scope)
            return annotation
        }
    }

    static func readBinaryAnnotations<R: ThriftReader>(
        _ reader: inout R
    ) throws(ThriftError) -> [ZipkinV1BinaryAnnotation] {
        try reader.readStructList(fieldID: 8, limit: reader.limits.maxTagsPerSpan) {
            (reader: inout R) throws(ThriftError) -> ZipkinV1BinaryAnnotation in
            var annotation = ZipkinV1BinaryAnnotation()
            let scope = try reader.readStructBegin()
            while let field = try reader.readFieldHeader() {
                switch (field.id, field.type) {
                case (1, .string): annotation.key = try reader.readString()
                case (2, .string): annotation.value = try reader.readBinary()
                case (3, .i32): annotation.type = try reader.readI32()
                case (4, .struct): annotation.host = try readEndpoint(&reader)
                default: try reader.skip(field.type)
                }
            }
            reader.readStructEnd(scope)
            return annotation
        }
    }

    static func readEndpoint<R: ThriftReader>(_ reader: inout R) throws(ThriftError) -> ZipkinV1Endpoint {
        var endpoint = ZipkinV1Endpoint()
        let scope = try reader.readStructBegin()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): endpoint.ipv4 = try reader.readI32()
            case (2, .i16): endpoint.port = try reader.readI16()
            case (3, .string): endpoint.serviceName = try reader.readString()
            case (4, .string): endpoint.ipv6 = try reader.readBinary()
            default: try reader.skip(field.type)
            }
        }
        reader.readStructEnd(scope)
        return endpoint
    }
}
