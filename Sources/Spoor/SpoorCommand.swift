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
        subcommands: [ServeCommand.self, LoadgenCommand.self, InspectCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
