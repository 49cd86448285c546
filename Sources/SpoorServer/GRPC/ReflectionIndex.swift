import Foundation
import SwiftProtobuf

/// The proto files the query port describes through server reflection, by file name and by symbol.
///
/// Built from the `FileDescriptorSet` that `scripts/generate-protos.sh` commits (`ReflectedDescriptors`), so
/// reflection always matches the generated stubs. Symbols are fully qualified without a leading dot: packages'
/// messages (nested ones too), enums, services and `Service.Method`.
package struct ReflectionIndex: Sendable {
    /// Serialized `FileDescriptorProto` per file name.
    private var files: [String: Data] = [:]
    /// Direct imports per file name.
    private var dependencies: [String: [String]] = [:]
    /// File name per symbol.
    private var symbols: [String: String] = [:]
    /// Every service declared in the files.
    package private(set) var services: [String] = []

    /// The index of the committed descriptors (empty if they failed to decode, which a test rules out).
    package static let bundled: ReflectionIndex =
        (try? ReflectionIndex(base64: ReflectedDescriptors.fileDescriptorSetBase64)) ?? ReflectionIndex()

    /// An empty index.
    package init() {}

    /// Indexes a base64 `FileDescriptorSet`; line breaks are ignored.
    package init(base64: String) throws {
        guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
            throw ReflectionIndexError.notBase64
        }
        try self.init(set: Google_Protobuf_FileDescriptorSet(serializedBytes: data))
    }

    /// Indexes the files of a descriptor set.
    package init(set: Google_Protobuf_FileDescriptorSet) throws {
        for file in set.file {
            files[file.name] = try file.serializedBytes()
            dependencies[file.name] = file.dependency
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for message in file.messageType { index(message, prefix: prefix, file: file.name) }
            for enumeration in file.enumType { symbols[prefix + enumeration.name] = file.name }
            for service in file.service {
                let name = prefix + service.name
                symbols[name] = file.name
                services.append(name)
                for method in service.method { symbols[name + "." + method.name] = file.name }
            }
        }
    }

    /// Whether `symbol` is declared in one of the files.
    package func contains(symbol: String) -> Bool { symbols[symbol] != nil }

    /// The serialized descriptors of `name` and of everything it imports, the file first; nil if unknown.
    package func descriptors(file name: String) -> [Data]? {
        guard files[name] != nil else { return nil }
        var order: [String] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            order.append(next)
            pending.append(contentsOf: (dependencies[next] ?? []).reversed())
        }
        return order.compactMap { files[$0] }
    }

    /// The serialized descriptors of the file declaring `symbol` and of its imports; nil if unknown.
    package func descriptors(symbol: String) -> [Data]? {
        symbols[symbol].flatMap { descriptors(file: $0) }
    }

    private mutating func index(_ message: Google_Protobuf_DescriptorProto, prefix: String, file: String) {
        let name = prefix + message.name
        symbols[name] = file
        for nested in message.nestedType { index(nested, prefix: name + ".", file: file) }
        for enumeration in message.enumType { symbols[name + "." + enumeration.name] = file }
    }
}

/// Why the committed descriptors could not be indexed.
package enum ReflectionIndexError: Error {
    case notBase64
}
