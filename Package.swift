// swift-tools-version:6.1
import PackageDescription

// Layers, lowest first; every arrow points down this list:
//   appliance: C system libraries → Compression → KafkaWire → CommitLog → Broker → sluice
//   logs:      SluiceModel → Pipeline, LogQL, LogStore (→ Compression, CommitLog) → Processors (→ Broker)
//              → HTTPAPI (Hummingbird) → sluice
//   metrics:   SluiceModel → PromQL → Alerting (Yams); MetricStore (→ Compression, CommitLog)
//              → Processors → Replay (→ Alerting, PromQL) → HTTPAPI → sluice
//   agent:     SluiceModel → AgentInputs (CSystemd) + KafkaClient (CRdKafka) → Agent → sluice-agent
// ARCHITECTURE.md draws the same map.
let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .executable(name: "sluice-agent", targets: ["sluice-agent"]),
        .library(name: "CommitLog", targets: ["CommitLog"]),
        .library(name: "KafkaWire", targets: ["KafkaWire"]),
        .library(name: "Compression", targets: ["Compression"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Without its default traits: no swift-configuration, no full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: C libraries (Debian packages installed by scripts/run and scripts/test)
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // libyaml for the agent's configuration (Yams would bring Foundation into the agent).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // jemalloc for `sluice` (as Vector and ClickHouse ship it): the pipeline allocates per
        // event on the parsing threads and frees on the flush thread, which glibc's malloc
        // serves about a third slower (BENCHMARKS.md).
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
        // CRC-32C with the CPU's crc32 instruction and a portable fallback.
        .target(name: "CCRC32C"),

        // MARK: Libraries
        .target(name: "SluiceModel"),
        .target(name: "Compression", dependencies: ["CZlib", "CZstd", "CLZ4", "CSnappy"]),
        .target(name: "KafkaWire", dependencies: ["CCRC32C", "Compression"]),
        .target(name: "CommitLog", dependencies: ["KafkaWire"]),
        .target(name: "Broker", dependencies: [
            "CommitLog", "KafkaWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Kafka client side (librdkafka): the agent's producer, processors' group consumer.
        .target(name: "KafkaClient", dependencies: ["CRdKafka"]),
        // The agent's inputs: file tailing, journald, host metrics. No networking.
        .target(name: "AgentInputs", dependencies: ["SluiceModel", "CSystemd"]),
        // The agent's configuration, delivery, checkpoints and on-disk queue.
        .target(name: "Agent", dependencies: [
            "AgentInputs", "KafkaClient", "CRdKafka", "SluiceModel", "CYAML",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The processing pipeline inside `sluice serve`: parsers and steps, no I/O. No Foundation.
        .target(name: "Pipeline", dependencies: ["SluiceModel"]),
        // The LogQL subset: parser with positioned errors, evaluation over a LogEntrySource.
        .target(name: "LogQL", dependencies: ["SluiceModel"]),
        // The indexed log store: time-partitioned compressed parts, per-block index.
        .target(name: "LogStore", dependencies: ["SluiceModel", "Compression", "CommitLog", "KafkaWire", "CZstd"]),
        // The metric store: series index, Gorilla chunks (delta-of-delta, XOR), blocks on disk.
        .target(name: "MetricStore", dependencies: ["SluiceModel", "Compression", "CommitLog", "CZstd"]),
        // The PromQL subset: parser with positioned errors, evaluation over a MetricSampleSource.
        .target(name: "PromQL", dependencies: ["SluiceModel"]),
        // Alert rules (Prometheus's rule-file format), their state machine, templates,
        // notifiers (webhook v4, Alertmanager v2), and replay's event-time evaluation.
        .target(name: "Alerting", dependencies: [
            "SluiceModel", "PromQL",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Processors running inside `sluice serve`: consume topics, run pipelines, index.
        .target(name: "Processors", dependencies: [
            "MetricStore", "Pipeline", "LogStore", "Broker", "CommitLog", "KafkaWire", "Compression", "SluiceModel",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Replay: a topic between two event times re-evaluated by the rules (a backtest) or
        // re-published; deterministic, no HTTP.
        .target(name: "Replay", dependencies: [
            "Processors", "MetricStore", "PromQL", "Alerting", "Broker", "CommitLog", "KafkaWire", "SluiceModel",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The HTTP API (Loki's log API, export, health, metrics) on Hummingbird.
        // UI/ holds the web UI's static files (no build step), copied beside the executable.
        .target(name: "HTTPAPI", dependencies: [
            "LogQL", "LogStore", "MetricStore", "PromQL", "Alerting", "Processors", "Pipeline", "Compression", "SluiceModel",
            "Replay", "Broker", "CommitLog", "KafkaWire",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.copy("UI")]),

        // MARK: Executables (composition roots only)
        .executableTarget(name: "sluice", dependencies: [
            "SluiceModel", "Broker", "Pipeline", "LogQL", "LogStore", "MetricStore", "PromQL", "Alerting", "Processors", "HTTPAPI", "CJemalloc",
            "Replay",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // No ArgumentParser here: see Sources/sluice-agent/AgentCommand.swift.
        .executableTarget(name: "sluice-agent", dependencies: [
            "Agent", "SluiceModel",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Tests
        // Helpers shared by the test targets (temporary folders, a seeded generator).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "TestSupport"]),
        .testTarget(name: "KafkaWireTests", dependencies: ["KafkaWire", "Compression", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CommitLogTests", dependencies: ["CommitLog", "KafkaWire", "TestSupport"]),
        .testTarget(name: "BrokerTests", dependencies: [
            "Broker", "KafkaWire", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "ExecutablesTests", dependencies: ["SluiceModel"]),
        .testTarget(name: "SluiceModelTests", dependencies: ["SluiceModel"]),
        .testTarget(name: "KafkaClientTests", dependencies: [
            "KafkaClient", "Broker", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "AgentInputsTests", dependencies: ["AgentInputs", "SluiceModel", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "SluiceModel"]),
        // The brute-force LogQL evaluator and random corpus, shared by the engine's and the
        // HTTP API's randomized comparisons.
        .target(name: "LogQLReference", dependencies: ["LogQL", "SluiceModel", "TestSupport"], path: "Tests/LogQLReference"),
        .testTarget(name: "LogQLTests", dependencies: ["LogQL", "LogQLReference", "SluiceModel", "TestSupport"]),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore", "SluiceModel", "TestSupport"]),
        .testTarget(name: "MetricStoreTests", dependencies: ["MetricStore", "SluiceModel", "TestSupport"]),
        .testTarget(name: "PromQLTests", dependencies: ["PromQL", "SluiceModel", "TestSupport"]),
        .testTarget(name: "AlertingTests", dependencies: ["Alerting", "PromQL", "SluiceModel", "TestSupport"]),
        .testTarget(name: "ProcessorsTests", dependencies: [
            "MetricStore", "Processors", "Pipeline", "LogStore", "Broker", "SluiceModel", "TestSupport",
        ]),
        .testTarget(name: "HTTPAPITests", dependencies: [
            "HTTPAPI", "LogQL", "LogQLReference", "LogStore", "MetricStore", "PromQL", "Alerting", "Processors", "Pipeline", "Broker", "CommitLog", "SluiceModel", "TestSupport",
            "Replay",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "ReplayTests", dependencies: [
            "Replay", "Alerting", "PromQL", "MetricStore", "Processors", "Broker", "CommitLog", "SluiceModel", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "AgentInputs", "KafkaClient", "SluiceModel", "TestSupport"]),
        // A child process for the crash test: appends, fsyncs, reports, and gets SIGKILLed.
        .executableTarget(
            name: "CommitLogCrashWriter", dependencies: ["CommitLog", "KafkaWire"],
            path: "Tests/Tools/CommitLogCrashWriter"),
    ]
)
