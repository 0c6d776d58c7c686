// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets, a separate package because everything in it is built with
// -sanitize=fuzzer (see scripts/fuzz). The test command runs each for a bounded time.
let package = Package(
    name: "SluiceFuzz",
    dependencies: [.package(name: "Sluice", path: "..")],
    targets: [
        .executableTarget(
            name: "RequestDecoderFuzzer",
            dependencies: [.product(name: "KafkaWire", package: "Sluice")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
