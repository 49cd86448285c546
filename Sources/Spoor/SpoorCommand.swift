import ArgumentParser

/// The `spoor` binary: `spoor serve` (the default) runs everything.
///
/// ArgumentParser's `main()` catches every error: help exits 0, bad flags print usage (exit 64), and a runtime error
/// (a port in use, a data directory RocksDB cannot open) prints one `Error: …` line and exits 1 — never a crash.
@main
struct SpoorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoor",
        abstract: "Spoor: a Jaeger-compatible tracing backend with an embedded RocksDB store.",
        subcommands: [
            ServeCommand.self, LoadgenCommand.self, InspectCommand.self, BenchQueryCommand.self, BenchIngestCommand.self,
            BenchServeFloorCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    /// Boolean flags Jaeger spells `--flag`, `--flag=true` or `--flag=false`.
    static let booleanFlags = ["--multi-tenancy.enabled", "--storage.sync-writes"]

    static func main() async {
        let arguments: [String]
        do throws(ConfigFile.Failure) {
            arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()), booleanFlags: booleanFlags)
        } catch {
            exit(withError: error)
        }
        await main(normalizeBooleanFlags(arguments))
    }

    /// Rewrites `--flag=true` to `--flag` and drops `--flag=false`, so Go-style booleans parse as flags.
    static func normalizeBooleanFlags(_ arguments: [String]) -> [String] {
        arguments.compactMap { argument in
            for flag in booleanFlags where argument.hasPrefix(flag + "=") {
                switch goBoolean(argument.dropFirst(flag.count + 1).lowercased()) {
                case true?: return flag
                case false?: return nil
                case nil: break
                }
            }
            return argument
        }
    }

    /// A lowercased Go-style boolean value: true for `true`, `1`, `t`; false for `false`, `0`, `f`; nil otherwise.
    static func goBoolean(_ lowercased: String) -> Bool? {
        switch lowercased {
        case "true", "1", "t": return true
        case "false", "0", "f": return false
        default: return nil
        }
    }
}
