import SpoorModel

/// Rendering of the Jaeger UI model (spec/query-api.md §5) onto a `JSONWriter`.
///
/// Field order follows Jaeger's structs so output diffs cleanly against Jaeger's:
/// trace `traceID, spans, processes, warnings`; span `traceID, spanID, [flags], operationName,
/// references, startTime, duration, tags, logs, processID, warnings`.
extension JSONWriter {
    /// Largest integer a JavaScript number holds exactly (2^53 − 1); int64 values beyond it are strings.
    static let maxSafeJSInteger: Int64 = (1 << 53) - 1

    /// Writes one trace object. Spans keep the given order; `traceID` is the first span's.
    /// - Parameters:
    ///   - spans: the spans of one trace; must not be empty.
    ///   - warnings: trace-level warnings (`null` when empty).
    mutating func uiTrace(_ spans: [Span], warnings: [String] = []) {
        var processes = ProcessTable()
        let processIndexes = spans.map { processes.index(of: $0.process) }

        beginObject()
        key("traceID")
        plainString(spans.first?.traceID.uiString ?? "")
        key("spans")
        beginArray()
        for (span, processIndex) in zip(spans, processIndexes) {
            uiSpan(span, processID: ProcessTable.id(processIndex))
        }
        endArray()
        key("processes")
        beginObject()
        for (index, process) in processes.distinct.enumerated() {
            key(ProcessTable.id(index))
            uiProcess(process)
        }
        endObject()
        key("warnings")
        uiWarnings(warnings)
        endObject()
    }

    /// Writes one span (no `parentSpanID`, no embedded `process`).
    mutating func uiSpan(_ span: Span, processID: String) {
        beginObject()
        key("traceID")
        plainString(span.traceID.uiString)
        key("spanID")
        plainString(span.spanID.hex)
        if span.flags != 0 {
            key("flags")
            uint(UInt64(span.flags))
        }
        key("operationName")
        string(span.operationName)
        key("references")
        beginArray()
        for reference in span.references {
            beginObject()
            key("refType")
            plainString(reference.refType == .childOf ? "CHILD_OF" : "FOLLOWS_FROM")
            key("traceID")
            plainString(reference.traceID.uiString)
            key("spanID")
            plainString(reference.spanID.hex)
            endObject()
        }
        endArray()
        key("startTime")
        uint(span.startTimeUnixNanos / 1000)
        key("duration")
        uint(span.durationNanos / 1000)
        key("tags")
        uiKeyValues(span.tags)
        key("logs")
        beginArray()
        for log in span.logs {
            beginObject()
            key("timestamp")
            uint(log.timestampUnixNanos / 1000)
            key("fields")
            uiKeyValues(log.fields)
            endObject()
        }
        endArray()
        key("processID")
        plainString(processID)
        key("warnings")
        uiWarnings(span.warnings)
        endObject()
    }

    /// Writes `{"serviceName":…,"tags":[…]}`.
    mutating func uiProcess(_ process: Process) {
        beginObject()
        key("serviceName")
        string(process.serviceName)
        key("tags")
        uiKeyValues(process.tags)
        endObject()
    }

    /// Writes `[{"key","type","value"}, …]` (§5.3).
    mutating func uiKeyValues(_ attributes: [Attribute]) {
        beginArray()
        for attribute in attributes {
            beginObject()
            key("key")
            string(attribute.key)
            key("type")
            switch attribute.value {
            case .string(let text):
                plainString("string")
                key("value")
                string(text)
            case .bool(let flag):
                plainString("bool")
                key("value")
                bool(flag)
            case .int64(let number):
                plainString("int64")
                key("value")
                if number > Self.maxSafeJSInteger || number < -Self.maxSafeJSInteger {
                    plainString(String(number))
                } else {
                    int(number)
                }
            case .float64(let number):
                plainString("float64")
                key("value")
                double(number)
            case .binary(let data):
                plainString("binary")
                key("value")
                plainString(Base64.encode(data))
            }
            endObject()
        }
        endArray()
    }

    /// `null` when empty, else an array of strings.
    mutating func uiWarnings(_ warnings: [String]) {
        if warnings.isEmpty {
            null()
        } else {
            stringArray(warnings)
        }
    }
}

/// Assigns `p1`, `p2`, … to distinct processes in first-seen order (§5.4): equal service name and
/// equal tag list (order-sensitive) share an id. `Process` equality compares text by its bytes (two spellings that
/// render alike are two processes) and floats by bit pattern (a NaN tag still matches itself).
struct ProcessTable {
    /// Distinct processes; index i has id `p(i+1)`.
    private(set) var distinct: [Process] = []
    private var indexByKey: [Process: Int] = [:]

    /// The index of `process`, adding it when new.
    mutating func index(of process: Process) -> Int {
        if let index = indexByKey[process] { return index }
        let index = distinct.count
        distinct.append(process)
        indexByKey[process] = index
        return index
    }

    /// `p1` for index 0.
    static func id(_ index: Int) -> String { "p\(index + 1)" }
}
