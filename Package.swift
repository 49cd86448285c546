// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "spoor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spoor", targets: ["Spoor"]),
        .library(name: "SpoorModel", targets: ["SpoorModel"]),
        .library(name: "SpoorWire", targets: ["SpoorWire"]),
        .library(name: "SpoorStorage", targets: ["SpoorStorage"]),
        .library(name: "SpoorQuery", targets: ["SpoorQuery"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
                "SpoorModel", "CRocksDB", "CPrefetch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SpoorQuery",
            dependencies: ["SpoorModel", "SpoorStorage"]
        ),
        .target(
            name: "SpoorServer",
            dependencies: [
                "SpoorModel", "SpoorWire", "SpoorStorage", "SpoorQuery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(name: "CMallocConfig", path: "Sources/CMallocConfig"),
        .target(name: "CPrefetch", path: "Sources/CPrefetch"),
        .executableTarget(
            name: "Spoor",
            dependencies: [
                "SpoorServer", "SpoorStorage", "SpoorQuery", "SpoorModel", "SpoorWire", "CMallocConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // jemalloc replaces glibc's malloc in the server: ingest allocates on many threads and frees on the writer,
            // which glibc's arenas handle poorly (measured: 70 → 62 µs of CPU per ingested span, benchmarks/README.md).
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .target(
            name: "SpoorTestSupport",
            dependencies: ["SpoorModel", "SpoorStorage", .product(name: "Metrics", package: "swift-metrics")],
            path: "Sources/SpoorTestSupport"
        ),
        .testTarget(name: "SpoorModelTests", dependencies: ["SpoorModel"]),
        .testTarget(
            name: "SpoorWireTests",
            dependencies: [
                "SpoorWire", "SpoorModel", "SpoorTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SpoorStorageTests",
            dependencies: ["SpoorStorage", "SpoorModel", "SpoorTestSupport"]
        ),
        .testTarget(
            name: "SpoorQueryTests",
            dependencies: ["SpoorQuery", "SpoorStorage", "SpoorModel", "SpoorWire", "SpoorTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SpoorServerTests",
            dependencies: [
                "SpoorServer", "SpoorStorage", "SpoorModel", "SpoorTestSupport", "SpoorQuery", "SpoorWire",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
