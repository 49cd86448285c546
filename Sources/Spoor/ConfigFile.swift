import Foundation
import Yams

/// `spoor serve --config-file F`: flag values from a YAML file, as Jaeger's `--config-file` reads them.
///
/// Keys are flag names without the dashes, dotted (`collector.otlp.grpc.host-port: ":4317"`) or nested
/// (`collector: {otlp: {grpc: {host-port: ":4317"}}}`), or both. A list gives a repeatable flag once per item; a boolean
/// flag (`storage.sync-writes`) takes `true` or `false`. Values are passed on as written, not typed by YAML, and the
/// command's parser checks them as it checks the command line: an unknown key is an unknown option. The file's flags go
/// before the command line's, so a flag given in both takes the command line's value.
enum ConfigFile {
    static let flag = "--config-file"
    /// Larger files are refused before they are read.
    static let maxBytes = 1 << 20

    /// Why a config file could not be used; printed as `Error: …`.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `arguments` (without the program name) with the config file's flags inserted where the serve command's own flags
    /// begin; unchanged when there is no `--config-file` or another subcommand is named.
    static func expand(_ arguments: [String], booleanFlags: [String]) throws(Failure) -> [String] {
        let start: Int
        switch arguments.first {
        case "serve": start = 1
        case let first? where !first.hasPrefix("-"): return arguments  // another subcommand
        default: start = 0  // serve is the default subcommand
        }
        guard let path = path(in: arguments[start...]) else { return arguments }
        let flags = try flags(fromYAML: try read(path), file: path, booleanFlags: booleanFlags)
        var expanded = arguments
        expanded.insert(contentsOf: flags, at: start)
        return expanded
    }

    /// The last `--config-file PATH` or `--config-file=PATH` before a `--` terminator, if any.
    static func path(in arguments: ArraySlice<String>) -> String? {
        var found: String?
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument == flag, index + 1 < arguments.endIndex {
                found = arguments[index + 1]
                index += 2
                continue
            }
            if argument.hasPrefix(flag + "=") { found = String(argument.dropFirst(flag.count + 1)) }
            index += 1
        }
        return found
    }

    /// The command-line flags a config file's YAML stands for, in the file's order.
    static func flags(fromYAML text: String, file: String, booleanFlags: [String]) throws(Failure) -> [String] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Failure(description: "config file \(file): not valid YAML: \(error)")
        }
        guard let root else { return [] }  // empty, or only comments
        guard case .mapping(let mapping) = root else {
            throw Failure(description: "config file \(file): the top level must map flag names to values")
        }
        var flags: [String] = []
        try append(mapping, prefix: "", file: file, booleanFlags: Set(booleanFlags), to: &flags)
        return flags
    }

    private static func append(
        _ mapping: Node.Mapping, prefix: String, file: String, booleanFlags: Set<String>, to flags: inout [String]
    ) throws(Failure) {
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode, !key.string.isEmpty else {
                throw Failure(description: "config file \(file): keys must be flag names")
            }
            let name = prefix.isEmpty ? key.string : prefix + "." + key.string
            guard "--" + name != flag else {
                throw Failure(description: "config file \(file): a config file cannot name another (config-file)")
            }
            switch value {
            case .mapping(let nested):
                try append(nested, prefix: name, file: file, booleanFlags: booleanFlags, to: &flags)
            case .scalar(let scalar):
                try appendValue(scalar, name: name, file: file, booleanFlags: booleanFlags, to: &flags)
            case .sequence(let items):
                for item in items {
                    guard case .scalar(let scalar) = item else {
                        throw Failure(description: "config file \(file): \(name): list items must be plain values")
                    }
                    try appendValue(scalar, name: name, file: file, booleanFlags: booleanFlags, to: &flags)
                }
            case .alias:
                throw Failure(description: "config file \(file): \(name): aliases are not supported")
            }
        }
    }

    private static func appendValue(
        _ scalar: Node.Scalar, name: String, file: String, booleanFlags: Set<String>, to flags: inout [String]
    ) throws(Failure) {
        // A plain null (`key:`, `~`, `null`) is an empty value; a quoted string is kept as written.
        let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
        let value = isNull ? "" : scalar.string
        let option = "--" + name
        guard booleanFlags.contains(option) else {
            flags.append(option + "=" + value)
            return
        }
        let lowercased = value.lowercased()
        guard let on = SpoorCommand.goBoolean(lowercased) ?? yamlBooleans[lowercased] else {
            throw Failure(description: "config file \(file): \(name): expected true or false, got '\(value)'")
        }
        if on { flags.append(option) }
    }

    /// YAML's boolean words beyond Go's (`SpoorCommand.goBoolean`); an empty value leaves the flag off.
    private static let yamlBooleans = ["yes": true, "on": true, "no": false, "off": false, "": false]

    /// The file's text, refused when larger than `maxBytes` or not UTF-8.
    private static func read(_ path: String) throws(Failure) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Failure(description: "config file \(path): cannot be opened")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw Failure(description: "config file \(path): \(error)")
        }
        guard data.count <= maxBytes else {
            throw Failure(description: "config file \(path): larger than \(maxBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure(description: "config file \(path): not UTF-8 text")
        }
        return text
    }
}
