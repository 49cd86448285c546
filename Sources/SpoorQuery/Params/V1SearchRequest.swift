import SpoorModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `GET /api/traces` asks for: a search, or a multi-get when `traceID` is given (spec/query-api.md §3.4).
package enum V1SearchRequest: Equatable, Sendable {
    /// Search by predicates; `raw` skips the adjusters.
    case search(TraceQuery, raw: Bool)
    /// Fetch these trace ids (in request order; each missing one is reported); `raw` skips the adjusters.
    case multiGet([TraceID], raw: Bool)
}

extension V1SearchRequest {
    /// Default search window: the 48 hours before `now`.
    package static let defaultLookbackNanos: UInt64 = 48 * 3_600 * 1_000_000_000

    /// Parses the query items of `GET /api/traces`, with Jaeger v2.20's rules and error messages.
    ///
    /// Single-valued parameters use their first occurrence; an empty value means absent.
    /// `start`/`end` are µs since the epoch (default `now − 48h` / `now`); `limit` ≤ 0 means 100;
    /// a zero duration bound means no bound. `tag=k:v` pairs are applied first, then `tags` JSON
    /// objects (later ones win); tag filters come out sorted by key. `lookback` and `prettyPrint` are
    /// left to the caller. With any `traceID`, the result is `.multiGet` and the other filters are dropped
    /// (but still validated).
    /// - Parameters:
    ///   - items: decoded query items in request order.
    ///   - now: the current time in Unix nanoseconds.
    /// - Throws: `QueryParameterError` with the 400 message.
    package static func parseV1Search(
        _ items: [(name: String, value: String)], now: UInt64
    ) throws(QueryParameterError) -> V1SearchRequest {
        func first(_ name: String) -> String? {
            guard let item = items.first(where: { $0.name == name }), !item.value.isEmpty else { return nil }
            return item.value
        }
        func all(_ name: String) -> [String] {
            items.compactMap { $0.name == name && !$0.value.isEmpty ? $0.value : nil }
        }

        let service = first("service")
        let operation = first("operation")
        let start = try parseMicros(first("start"), name: "start") ?? now.subtractingClamped(defaultLookbackNanos)
        let end = try parseMicros(first("end"), name: "end") ?? now
        var tags = try parseTags(simple: all("tag"), json: all("tags"))
        // Whole-trace duration: `minTraceDuration`/`maxTraceDuration`, or the same bounds typed into the UI's Tags box.
        var traceMinText = first("minTraceDuration")
        var traceMaxText = first("maxTraceDuration")
        if let tag = tags.first(where: { $0.key == TraceQuery.traceMinDurationTag }) { traceMinText = tag.value }
        if let tag = tags.first(where: { $0.key == TraceQuery.traceMaxDurationTag }) { traceMaxText = tag.value }
        tags.removeAll { $0.key == TraceQuery.traceMinDurationTag || $0.key == TraceQuery.traceMaxDurationTag }
        let traceMin = try parseDuration(traceMinText, name: "minTraceDuration")
        let traceMax = try parseDuration(traceMaxText, name: "maxTraceDuration")

        var limit = TraceQuery.defaultLimit
        if let text = first("limit") {
            let parsed = try GoStrconv.parseInt(text, bitSize: 32)
            if parsed > 0 { limit = Int(parsed) }
        }

        let minDuration = try parseDuration(first("minDuration"), name: "minDuration")
        let maxDuration = try parseDuration(first("maxDuration"), name: "maxDuration")

        var traceIDs: [TraceID] = []
        for text in all("traceID") {
            do {
                traceIDs.append(try TraceIDParam.parse(text))
            } catch {
                throw error.prefixed("cannot parse traceID param: ")
            }
        }

        var raw = false
        if let text = first("raw") {
            do {
                raw = try GoStrconv.parseBool(text)
            } catch {
                throw error.prefixed("unable to parse param 'raw': ")
            }
        }

        // Beyond Jaeger: tags or durations alone search every service of the tenant (the UI's "All Services").
        // With nothing to narrow the search, the service stays required, as in Jaeger.
        let hasPredicate = !tags.isEmpty || minDuration != 0 || maxDuration != 0 || traceMin != 0 || traceMax != 0
        if traceIDs.isEmpty && service == nil && !hasPredicate {
            throw QueryParameterError(message: "parameter 'service' is required")
        }
        if minDuration != 0 && maxDuration != 0 && maxDuration < minDuration {
            throw QueryParameterError(message: "'maxDuration' should be greater than 'minDuration'")
        }
        if traceMin != 0 && traceMax != 0 && traceMax < traceMin {
            throw QueryParameterError(message: "'maxTraceDuration' should be greater than 'minTraceDuration'")
        }
        if !traceIDs.isEmpty {
            return .multiGet(traceIDs, raw: raw)
        }
        var query = TraceQuery(
            serviceName: service,
            operationName: operation,
            tags: tags,
            startTimeMinUnixNanos: start,
            startTimeMaxUnixNanos: end,
            // Zero means "no bound", as in Jaeger; a negative minimum bounds nothing, and a negative
            // maximum (which matches no span in Jaeger) is held as 0, the lowest unsigned bound.
            durationMinNanos: minDuration > 0 ? UInt64(minDuration) : nil,
            durationMaxNanos: maxDuration == 0 ? nil : UInt64(max(maxDuration, 0)),
            limit: limit
        )
        query.traceDurationMinNanos = traceMin > 0 ? UInt64(traceMin) : nil
        query.traceDurationMaxNanos = traceMax == 0 ? nil : UInt64(max(traceMax, 0))
        return .search(query, raw: raw)
    }

    /// µs since the epoch → ns, clamped to the `UInt64` range; nil when absent.
    private static func parseMicros(_ text: String?, name: String) throws(QueryParameterError) -> UInt64? {
        guard let text else { return nil }
        let micros: Int64
        do {
            micros = try GoStrconv.parseInt(text, bitSize: 64)
        } catch {
            throw error.prefixed("unable to parse param '\(name)': ")
        }
        guard micros > 0 else { return 0 }
        let (nanos, overflow) = UInt64(micros).multipliedReportingOverflow(by: 1_000)
        return overflow ? UInt64.max : nanos
    }

    /// Signed nanoseconds; 0 when absent.
    private static func parseDuration(_ text: String?, name: String) throws(QueryParameterError) -> Int64 {
        guard let text else { return 0 }
        do {
            return try GoDuration.parseSigned(text)
        } catch {
            throw error.prefixed("unable to parse param '\(name)': ")
        }
    }

    /// Merges `tag=k:v` items, then `tags` JSON objects; sorted by key.
    private static func parseTags(simple: [String], json: [String]) throws(QueryParameterError) -> [TagFilter] {
        // Keys by their bytes: two spellings that render alike are two tags, as in the store.
        var merged: [ExactString: String] = [:]
        for item in simple {
            guard let colon = item.firstIndex(of: ":") else {
                throw QueryParameterError(
                    message: "malformed 'tag' parameter, expecting key:value, received: \(item)")
            }
            merged[ExactString(String(item[..<colon]))] = String(item[item.index(after: colon)...])
        }
        for text in json {
            let object: [String: String]?
            do {
                object = try JSONDecoder().decode([String: String]?.self, from: Data(text.utf8))
            } catch {
                throw QueryParameterError(
                    message: "malformed 'tags' parameter, cannot unmarshal JSON: \(describe(error))")
            }
            // The members as written (the decoded dictionary merged keys that `String ==` equates); the later of two
            // equal keys wins.
            for (key, value) in JSONStringPairs.parse(text) ?? (object ?? [:]).map({ ($0.key, $0.value) }) {
                merged[ExactString(key)] = value
            }
        }
        return merged.sorted { $0.key < $1.key }.map { TagFilter(key: $0.key.value, value: $0.value) }
    }

    /// A one-line reason for a failed `[String: String]` decode.
    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty
                ? "expected a JSON object of strings" : "value of \(GoQuote.quote(path)) is not a string"
        case .dataCorrupted, .keyNotFound, .none:
            return "invalid JSON"
        @unknown default:
            return "invalid JSON"
        }
    }
}

extension UInt64 {
    /// `self − other`, or 0 when that would be negative.
    fileprivate func subtractingClamped(_ other: UInt64) -> UInt64 {
        self > other ? self - other : 0
    }
}
