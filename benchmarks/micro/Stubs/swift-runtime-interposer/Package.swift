// swift-tools-version: 6.1
// Empty stand-in for ordo-one/swift-runtime-interposer, which the local package mirror does not carry.
// ordo-one/benchmark 1.38.1 declares it on Linux + Swift 6.3 even when its "RuntimeInterposer" trait is
// off; Package.swift of the micro benchmarks disables that trait, so nothing here is ever linked.
import PackageDescription

let package = Package(
    name: "swift-runtime-interposer",
    products: [.library(name: "SwiftRuntimeInterposerSwift", targets: ["SwiftRuntimeInterposerSwift"])],
    targets: [.target(name: "SwiftRuntimeInterposerSwift")]
)
