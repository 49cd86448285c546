import Foundation
import GRPCCore
import SpoorWire
import SwiftProtobuf

/// gRPC server reflection (`grpc.reflection.v1.ServerReflection`) on 16685, so grpcurl and similar tools can list
/// and call the query services without local .proto files.
///
/// Answers list_services, file_by_filename and file_containing_symbol from a `ReflectionIndex` (each file with
/// its imports); unknown files and symbols get an error_response with NOT_FOUND. Extension requests find nothing,
/// as the files declare no extensions.
package struct GRPCReflectionService: Grpc_Reflection_V1_ServerReflection.SimpleServiceProtocol {
    /// The services the query port registers.
    package static let queryServices = [
        "jaeger.api_v2.QueryService", "jaeger.api_v3.QueryService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ]

    private let index: ReflectionIndex
    private let services: [String]

    /// Creates the service; list_services reports the names of `services` that `index` describes, in that order.
    package init(index: ReflectionIndex = .bundled, services: [String] = Self.queryServices) {
        self.index = index
        self.services = services.filter { index.contains(symbol: $0) }
    }

    /// Answers each request of the stream in order.
    package func serverReflectionInfo(
        request: RPCAsyncSequence<Grpc_Reflection_V1_ServerReflectionRequest, any Error>,
        response: RPCWriter<Grpc_Reflection_V1_ServerReflectionResponse>, context: ServerContext
    ) async throws {
        for try await message in request {
            try await response.write(answer(message))
        }
    }

    /// The response to one request.
    package func answer(_ request: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case .listServices:
            var list = Grpc_Reflection_V1_ListServiceResponse()
            list.service = services.map { name in
                var service = Grpc_Reflection_V1_ServiceResponse()
                service.name = name
                return service
            }
            response.listServicesResponse = list
        case .fileByFilename(let name):
            response.messageResponse = Self.files(index.descriptors(file: name), missing: "file not found: \(name)")
        case .fileContainingSymbol(let symbol):
            response.messageResponse = Self.files(index.descriptors(symbol: symbol), missing: "symbol not found: \(symbol)")
        case .fileContainingExtension(let extensionRequest):
            response.messageResponse = Self.error(
                .notFound, "extension not found: \(extensionRequest.containingType) \(extensionRequest.extensionNumber)")
        case .allExtensionNumbersOfType(let type):
            if index.contains(symbol: type) {
                var numbers = Grpc_Reflection_V1_ExtensionNumberResponse()
                numbers.baseTypeName = type
                response.allExtensionNumbersResponse = numbers
            } else {
                response.messageResponse = Self.error(.notFound, "type not found: \(type)")
            }
        case nil:
            response.messageResponse = Self.error(.invalidArgument, "no request set")
        }
        return response
    }

    private static func files(
        _ descriptors: [Data]?, missing: String
    ) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        guard let descriptors else { return error(.notFound, missing) }
        var files = Grpc_Reflection_V1_FileDescriptorResponse()
        files.fileDescriptorProto = descriptors
        return .fileDescriptorResponse(files)
    }

    private static func error(
        _ code: RPCError.Code, _ message: String
    ) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        var error = Grpc_Reflection_V1_ErrorResponse()
        error.errorCode = Int32(code.rawValue)
        error.errorMessage = String(message.prefix(1024))
        return .errorResponse(error)
    }
}

/// The same reflection service under its pre-v1 name (`grpc.reflection.v1alpha`), which grpcurl still asks for.
/// The messages are identical on the wire, so each request and response is converted through its bytes.
package struct GRPCReflectionServiceV1Alpha: Grpc_Reflection_V1alpha_ServerReflection.SimpleServiceProtocol {
    private let v1: GRPCReflectionService

    /// Wraps the v1 service.
    package init(_ v1: GRPCReflectionService = GRPCReflectionService()) { self.v1 = v1 }

    /// Answers each request of the stream in order.
    package func serverReflectionInfo(
        request: RPCAsyncSequence<Grpc_Reflection_V1alpha_ServerReflectionRequest, any Error>,
        response: RPCWriter<Grpc_Reflection_V1alpha_ServerReflectionResponse>, context: ServerContext
    ) async throws {
        for try await message in request {
            do {
                let asked = try Grpc_Reflection_V1_ServerReflectionRequest(serializedBytes: message.serializedBytes() as [UInt8])
                let answer: [UInt8] = try v1.answer(asked).serializedBytes()
                try await response.write(Grpc_Reflection_V1alpha_ServerReflectionResponse(serializedBytes: answer))
            } catch let error as BinaryDecodingError {
                throw RPCError(code: .internalError, message: "reflection message conversion failed: \(error)")
            } catch let error as BinaryEncodingError {
                throw RPCError(code: .internalError, message: "reflection message conversion failed: \(error)")
            }
        }
    }
}
