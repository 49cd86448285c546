import ArgumentParser

/// The shape of the synthetic requests `loadgen` sends and `bench-ingest` decodes, declared once for both.
struct WorkloadOptions: ParsableArguments {
    @Option(
        help:
            "Spans per request (Thrift: split per service, one Batch per request; UDP: into datagrams under 65,000 bytes)."
    )
    var batch = 500

    @Option(help: "Number of distinct services.")
    var services = 6

    @Option(
        name: .customLong("resource-attributes"),
        help: "Resource (process) attributes besides service.name (0 to 8): 1 is host.name alone; 8 add what SDKs send.")
    var resourceAttributes = 1

    func validate() throws {
        guard batch > 0, services > 0 else { throw ValidationError("--batch and --services must be positive") }
        guard (0...8).contains(resourceAttributes) else { throw ValidationError("--resource-attributes must be 0 to 8") }
    }
}
