// swift-tools-version: 6.1
// Micro benchmarks for Spoor's hot paths (ordo-one/benchmark). A separate package so that neither the main
// build nor CI compiles it. Spoor's modules use `package` access, which does not cross package boundaries, so
// Sources/ holds symlinks to ../../Sources/<Module> and this package compiles the same files a second time.
// Run with RUNTIME_INTERPOSER_LOCAL_PATH=$PWD/Stubs/swift-runtime-interposer where ordo-one/swift-runtime-interposer
// cannot be fetched (see README.md): benchmark's RuntimeInterposer trait is off, so the empty stub is never linked.
import PackageDescription

let package = Package(
    name: "spoor-micro-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "SpoorModel"),
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "SpoorWire",
            dependencies: [
                "SpoorModel", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "SpoorStorage",
            dependencies: [
                "SpoorModel", "CRocksDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "SpoorMicro",
            dependencies: [
                "SpoorModel", "SpoorWire", "SpoorStorage",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Benchmarks/SpoorMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
