import GRPCCore
import HTTPTypes
import Hummingbird
import SpoorModel

/// Multi-tenancy settings (`--multi-tenancy.*`).
package struct TenancyConfiguration: Sendable {
    /// When off, everything lives in the default tenant and no header is needed.
    package var enabled = false
    /// Header (HTTP) or metadata key (gRPC) carrying the tenant; matched case-insensitively.
    package var header = "x-tenant"
    /// Allowed tenants, told apart by their bytes (two spellings of a name are two tenants); empty means any
    /// non-empty tenant.
    package var tenants: Set<ExactString> = []
    /// Process tag naming the tenant of a UDP batch (UDP has no headers).
    package var udpTenantTag = "tenant"

    /// Defaults: tenancy off.
    package init() {}
}

/// Why a request has no usable tenant.
package enum TenantError: Error, Sendable, Equatable {
    /// The header is absent (HTTP 401 / gRPC UNAUTHENTICATED).
    case missing
    /// The header appears more than once (HTTP 403 / gRPC PERMISSION_DENIED).
    case extra
    /// The tenant is not in the allowed list, or too long (HTTP 403 / gRPC PERMISSION_DENIED).
    case unknown(String)

    /// Jaeger's message text.
    package var message: String {
        switch self {
        case .missing: return "missing tenant header"
        case .extra: return "extra tenant header"
        case .unknown: return "unknown tenant"
        }
    }

    /// The HTTP status this error is answered with.
    package var httpStatus: HTTPResponse.Status {
        switch self {
        case .missing: return .unauthorized
        case .extra, .unknown: return .forbidden
        }
    }

    /// The gRPC error this error is answered with.
    package var rpcError: RPCError {
        switch self {
        case .missing: return RPCError(code: .unauthenticated, message: message)
        case .extra, .unknown: return RPCError(code: .permissionDenied, message: message)
        }
    }
}

/// Resolves the tenant of a request: the default tenant when tenancy is off, else the validated header value.
package struct TenantResolver: Sendable {
    /// The tenant used when tenancy is off.
    package static let defaultTenant = ""
    /// Longest tenant accepted (keys store it length-prefixed in one byte).
    package static let maxTenantBytes = 255

    package let configuration: TenancyConfiguration
    private let headerName: HTTPField.Name?

    /// Creates a resolver.
    package init(_ configuration: TenancyConfiguration) {
        self.configuration = configuration
        self.headerName = HTTPField.Name(configuration.header)
    }

    /// Validates the values found for the tenant header.
    package func tenant(values: [String]) throws(TenantError) -> String {
        guard configuration.enabled else { return Self.defaultTenant }
        guard let value = values.first, !value.isEmpty else { throw .missing }
        guard values.count == 1 else { throw .extra }
        // Listed tenants match byte for byte (as the store tells tenants apart), not by Swift's canonical equivalence.
        guard value.utf8.count <= Self.maxTenantBytes,
            configuration.tenants.isEmpty || configuration.tenants.contains(ExactString(value))
        else {
            throw .unknown(value)
        }
        return value
    }

    /// The tenant of an HTTP request.
    package func tenant(of request: Request) throws(TenantError) -> String {
        guard configuration.enabled else { return Self.defaultTenant }
        guard let headerName else { throw .missing }
        return try tenant(values: request.headers[values: headerName])
    }

    /// The tenant of a gRPC request (metadata keys are lowercase).
    package func tenant(of metadata: Metadata) throws(TenantError) -> String {
        guard configuration.enabled else { return Self.defaultTenant }
        let values = metadata[stringValues: configuration.header.lowercased()].map { $0 }
        return try tenant(values: values)
    }

    /// The tenant of a UDP batch: the process tag named by `udpTenantTag` when tenancy is on.
    package func tenant(processTagValue: String?) throws(TenantError) -> String {
        guard configuration.enabled else { return Self.defaultTenant }
        return try tenant(values: processTagValue.map { [$0] } ?? [])
    }
}
