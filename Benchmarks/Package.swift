// swift-tools-version:6.0
import PackageDescription

// A separate package so that CI's test build never compiles the benchmarks.
// Run: cd Benchmarks && swift run -c release sluice-benchmarks [--runs N] [--dir PATH]
let package = Package(
    name: "SluiceBenchmarks",
    dependencies: [.package(name: "Sluice", path: "..")],
    targets: [
        .executableTarget(name: "sluice-benchmarks", dependencies: [
            .product(name: "CommitLog", package: "Sluice"),
            .product(name: "KafkaWire", package: "Sluice"),
        ]),
    ]
)
