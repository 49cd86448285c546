import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// The `spoor` binary: `spoor serve` (the default) runs everything.
@main
struct SpoorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoor",
        abstract: "Spoor: a Jaeger-compatible tracing backend with an embedded RocksDB store.",
        subcommands: [ServeCommand.self, LoadgenCommand.self, InspectCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// Parses flags and runs; a runtime error ends the process with one line and exit code 1 (no crash backtrace).
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            Self.exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            StandardError.write("spoor: \(error)\n")
            Glibc.exit(1)
        }
    }
}

enum StandardError {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
