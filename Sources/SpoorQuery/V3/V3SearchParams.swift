import SpoorModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The search parameters of `GET /api/v3/trace-summaries` and `GET /api/v3/traces` (spec/query-api.md §4).
///
/// Every parameter has a canonical camelCase name and deprecated snake_case aliases (Grafana sends those).
/// The first non-empty occurrence of the canonical name wins, then of each alias in order; an empty value
/// means absent.
package struct V3SearchParams: Sendable, Equatable {
    /// The validated search.
    package var query: TraceQuery
    /// `query.rawTraces`: return traces as stored, without adjusters.
    package var rawTraces: Bool

    /// Creates parameters.
    package init(query: TraceQuery, rawTraces: Bool = false) {
        self.query = query
        self.rawTraces = rawTraces
    }

    /// Parses the search of the query items; see `parseRequest(_:)`.
    package static func parse(_ items: [(name: String, value: String)]) throws(QueryParameterError) -> TraceQuery {
        try parseRequest(items).query
    }

    /// Parses and validates every search parameter.
    ///
    /// `query.startTimeMin` and `query.startTimeMax` are required RFC 3339 times with min < max; the window is
    /// `[min, max)`. Durations are Go durations (0 or negative means no bound); `query.searchDepth` ≤ 0 means 100;
    /// `query.attributes` is a JSON object of strings (tag filters, sorted by key). A missing service name
    /// searches every service. `query.filter` is not supported.
    /// - Throws: `QueryParameterError` with the 400 message, e.g.
    ///   `query.startTimeMin and query.startTimeMax are required` or `malformed parameter <name>: <reason>`.
    package static func parseRequest(_ items: [(name: String, value: String)]) throws(QueryParameterError) -> V3SearchParams {
        let lookup = V3ParamLookup(items)
        if let filter = lookup.value(Names.filter) {
            throw QueryParameterError(message: "malformed parameter \(filter.name): query.filter is not supported")
        }
        let service = lookup.value(Names.serviceName)?.value
        let operation = lookup.value(Names.operationName)?.value

        let startMin = try time(lookup.value(Names.startTimeMin))
        let startMax = try time(lookup.value(Names.startTimeMax))
        guard let startMin, let startMax else {
            throw QueryParameterError(message: "query.startTimeMin and query.startTimeMax are required")
        }
        guard startMin < startMax else {
            throw QueryParameterError(message: "query.startTimeMin must be before query.startTimeMax")
        }

        let durationMin = try duration(lookup.value(Names.durationMin))
        let durationMax = try duration(lookup.value(Names.durationMax))

        var limit = TraceQuery.defaultLimit
        if let item = lookup.value(Names.searchDepth) {
            let depth = try malformed(item.name) { () throws(QueryParameterError) in
                try GoStrconv.parseInt(item.value, bitSize: 32)
            }
            if depth > 0 { limit = Int(depth) }
        }

        var tags: [TagFilter] = []
        if let item = lookup.value(Names.attributes) {
            tags = try attributes(item)
        }

        var rawTraces = false
        if let item = lookup.value(Names.rawTraces) {
            rawTraces = try malformed(item.name) { () throws(QueryParameterError) in try GoStrconv.parseBool(item.value) }
        }

        let query = TraceQuery(
            serviceName: service,
            operationName: operation,
            tags: tags,
            startTimeMinUnixNanos: startMin,
            // The v3 window excludes its end; TraceQuery bounds are inclusive. startMax > startMin ≥ 0.
            startTimeMaxUnixNanos: startMax - 1,
            durationMinNanos: durationMin,
            durationMaxNanos: durationMax,
            limit: limit
        )
        return V3SearchParams(query: query, rawTraces: rawTraces)
    }

    /// Parameter names: canonical first, then aliases.
    enum Names {
        static let serviceName = ["query.serviceName", "query.service_name"]
        static let operationName = ["query.operationName", "query.operation_name"]
        static let startTimeMin = ["query.startTimeMin", "query.start_time_min"]
        static let startTimeMax = ["query.startTimeMax", "query.start_time_max"]
        static let durationMin = ["query.durationMin", "query.duration_min"]
        static let durationMax = ["query.durationMax", "query.duration_max"]
        static let searchDepth = ["query.searchDepth", "query.search_depth", "query.num_traces"]
        static let attributes = ["query.attributes"]
        static let rawTraces = ["query.rawTraces", "query.raw_traces"]
        static let filter = ["query.filter"]
    }

    /// RFC 3339 time in Unix nanoseconds; nil when absent.
    private static func time(_ item: (name: String, value: String)?) throws(QueryParameterError) -> UInt64? {
        guard let item else { return nil }
        return try malformed(item.name) { () throws(QueryParameterError) in try RFC3339.parseUnixNanos(item.value) }
    }

    /// Go duration in nanoseconds; nil when absent, zero or negative.
    private static func duration(_ item: (name: String, value: String)?) throws(QueryParameterError) -> UInt64? {
        guard let item else { return nil }
        let nanos = try malformed(item.name) { () throws(QueryParameterError) in try GoDuration.parse(item.value) }
        return nanos == 0 ? nil : nanos
    }

    /// `{"key":"value",…}` → tag filters sorted by key; `null` means none.
    private static func attributes(_ item: (name: String, value: String)) throws(QueryParameterError) -> [TagFilter] {
        let object: [String: String]?
        do {
            object = try JSONDecoder().decode([String: String]?.self, from: Data(item.value.utf8))
        } catch {
            let reason: String
            switch error as? DecodingError {
            case .typeMismatch(_, let context), .valueNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                reason = path.isEmpty ? "expected a JSON object of strings" : "value of \(GoQuote.quote(path)) is not a string"
            default:
                reason = "invalid JSON"
            }
            throw QueryParameterError(message: "malformed parameter \(item.name): \(reason)")
        }
        // The members as written (the decoded dictionary merged keys that `String ==` equates); the later of two
        // equal keys wins.
        var members: [ExactString: String] = [:]
        for (key, value) in JSONStringPairs.parse(item.value) ?? (object ?? [:]).map({ ($0.key, $0.value) }) {
            members[ExactString(key)] = value
        }
        return members.sorted { $0.key < $1.key }.map { TagFilter(key: $0.key.value, value: $0.value) }
    }
}

/// Prefixes a parse error with `malformed parameter <name>: `.
func malformed<T>(_ name: String, _ body: () throws(QueryParameterError) -> T) throws(QueryParameterError) -> T {
    do {
        return try body()
    } catch {
        throw error.prefixed("malformed parameter \(name): ")
    }
}

/// First non-empty value among a parameter's names, trying the names in order.
struct V3ParamLookup {
    let items: [(name: String, value: String)]

    init(_ items: [(name: String, value: String)]) {
        self.items = items
    }

    /// The name actually used and its value.
    func value(_ names: [String]) -> (name: String, value: String)? {
        for name in names {
            if let item = items.first(where: { $0.name == name && !$0.value.isEmpty }) { return item }
        }
        return nil
    }
}
