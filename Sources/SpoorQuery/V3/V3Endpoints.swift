import SpoorModel
import SpoorStorage

/// Why an api_v3 request failed; the HTTP layer answers `httpCode` with `V3JSON.error(httpCode:message:)`.
package enum V3Failure: Error, Equatable, Sendable {
    /// A parameter is missing or malformed (400).
    case badRequest(String)
    /// No trace matched (404 `No traces found`).
    case notFound
    /// The store failed (500).
    case storage(String)

    /// The HTTP status code of the failure.
    package var httpCode: Int {
        switch self {
        case .badRequest: return 400
        case .notFound: return 404
        case .storage: return 500
        }
    }

    /// The client-facing message.
    package var message: String {
        switch self {
        case .badRequest(let message): return message
        case .notFound: return "No traces found"
        case .storage(let message): return message
        }
    }

    /// The error body, `{"error":{"httpCode":…,"message":…}}`.
    package var body: [UInt8] { V3JSON.error(httpCode: httpCode, message: message) }
}

/// The api_v3 HTTP endpoints without HTTP (spec/query-api.md §4): query items in, response body out.
///
/// Every method reads storage synchronously; callers run it on a thread pool.
package struct V3Endpoints: Sendable {
    /// Rewrites a trace before it is shown (the adjusters of spec/query-api.md §6.5).
    package typealias Adjust = @Sendable ([Span]) -> [Span]

    private let search: TraceSearch
    private let adjust: Adjust

    /// Creates the endpoints over `search`.
    /// - Parameter adjust: applied to every trace returned unless `rawTraces` is set, and always before summarising.
    package init(search: TraceSearch, adjust: @escaping Adjust = { $0 }) {
        self.search = search
        self.adjust = adjust
    }

    /// `GET /api/v3/services`: `{"services":[…]}`, sorted.
    package func services(tenant: String) -> [UInt8] {
        V3JSON.services(search.services(tenant: tenant))
    }

    /// `GET /api/v3/operations?service=&spanKind=`: `{"operations":[…]}` sorted by name, then kind.
    ///
    /// Without a service the list is empty. `spanKind` / `span_kind` keeps the operations whose shown kind equals
    /// it (an unspecified kind is shown, and matched, as `internal`); an unknown kind matches nothing.
    package func operations(tenant: String, items: [(name: String, value: String)]) -> [UInt8] {
        let lookup = V3ParamLookup(items)
        guard let service = lookup.value(["service"])?.value else { return V3JSON.operations([]) }
        let wanted = lookup.value(["spanKind", "span_kind"])?.value
        return V3JSON.operations(Self.shownOperations(search.operations(tenant: tenant, service: service), kind: wanted))
    }

    /// The operations as api_v3 shows them (HTTP and gRPC), sorted by name, then kind: those whose shown kind is
    /// `kind` (all when nil), an unspecified kind shown as `internal` and an operation stored with both listed once.
    /// Names are told apart by their bytes, as in the store: two spellings that render alike are two operations.
    package static func shownOperations(_ operations: [OperationKey], kind: String?) -> [(name: String, kind: SpanKind)] {
        var seen = Set<ExactString>()
        var rows: [(name: String, kind: SpanKind)] = []
        for operation in operations {
            let shown = V3JSON.displayKind(operation.kind)
            if let kind, kind != shown { continue }
            guard seen.insert(ExactString(operation.name + "\u{0}" + shown)).inserted else { continue }
            rows.append((operation.name, operation.kind))
        }
        rows.sort {
            let order = $0.name.compareUTF8($1.name)
            return order != 0 ? order < 0 : V3JSON.displayKind($0.kind) < V3JSON.displayKind($1.kind)
        }
        return rows
    }

    /// `GET /api/v3/trace-summaries`: `{"summaries":[…]}`, newest trace first; `[]` when nothing matches.
    /// - Throws: `.badRequest` for bad parameters, `.storage` when the store fails.
    package func traceSummaries(tenant: String, items: [(name: String, value: String)]) throws(V3Failure) -> [UInt8] {
        let params = try Self.searchParams(items)
        let traces = try find(tenant: tenant, params.query)
        return V3JSON.summaries(traces.map(adjust))
    }

    /// `GET /api/v3/traces`: `{"result":<TracesData>}` with every matching trace, newest first.
    /// - Throws: `.badRequest`, `.notFound` when nothing matches, `.storage`.
    package func traces(tenant: String, items: [(name: String, value: String)]) throws(V3Failure) -> [UInt8] {
        let params = try Self.searchParams(items)
        let traces = try find(tenant: tenant, params.query)
        guard !traces.isEmpty else { throw .notFound }
        return V3JSON.traces(params.rawTraces ? traces : traces.map(adjust))
    }

    /// `GET /api/v3/traces/{trace_id}?startTime=&endTime=&rawTraces=`: `{"result":<TracesData>}`.
    ///
    /// `startTime` / `endTime` (aliases `start_time` / `end_time`) are validated RFC 3339 hints; the lookup
    /// reads the whole trace whatever they say.
    /// - Throws: `.badRequest` (`malformed parameter trace_id: …` and the like), `.notFound`, `.storage`.
    package func trace(tenant: String, traceID: String, items: [(name: String, value: String)]) throws(V3Failure) -> [UInt8] {
        let id: TraceID
        var raw = false
        do throws(QueryParameterError) {
            id = try malformed("trace_id") { () throws(QueryParameterError) in try TraceIDParam.parse(traceID) }
            let lookup = V3ParamLookup(items)
            for names in [["startTime", "start_time"], ["endTime", "end_time"]] {
                if let item = lookup.value(names) {
                    _ = try malformed(item.name) { () throws(QueryParameterError) in try RFC3339.parse(item.value) }
                }
            }
            if let item = lookup.value(["rawTraces", "raw_traces"]) {
                raw = try malformed(item.name) { () throws(QueryParameterError) in try GoStrconv.parseBool(item.value) }
            }
        } catch {
            throw .badRequest(error.message)
        }
        let spans: [Span]?
        do {
            spans = try search.trace(tenant: tenant, id: id)
        } catch {
            throw .storage(error.description)
        }
        guard let spans else { throw .notFound }
        return V3JSON.traces([raw ? spans : adjust(spans)])
    }

    private static func searchParams(_ items: [(name: String, value: String)]) throws(V3Failure) -> V3SearchParams {
        do throws(QueryParameterError) {
            return try V3SearchParams.parseRequest(items)
        } catch {
            throw .badRequest(error.message)
        }
    }

    private func find(tenant: String, _ query: TraceQuery) throws(V3Failure) -> [[Span]] {
        do {
            return try search.find(tenant: tenant, query: query)
        } catch {
            throw .storage(error.description)
        }
    }
}
