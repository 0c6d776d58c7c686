import ArgumentParser
import Broker
import Foundation
import HTTPAPI
import LogQL
import LogStore
import Logging
import Pipeline
import Processors
import ServiceLifecycle
import SluiceModel

#if canImport(Glibc)
import Glibc
#endif

/// `sluice serve`: the appliance — the Kafka-compatible broker over the commit log, the
/// log pipelines feeding the log store, and the HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the appliance: Kafka-protocol broker, log pipelines and store, HTTP API.",
        discussion: "Stops gracefully on SIGINT or SIGTERM: HTTP stops, the pipelines make the log store durable, pending fsyncs complete and every partition is closed cleanly.")

    @Option(help: "YAML configuration file (etc/sluice.yml documents every key); without it, the embedded defaults.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Folder of the commit log (default ./sluice-data).")
    var dataDirectory: String?

    @Option(name: .customLong("kafka-listen"), help: "HOST:PORT of the Kafka listener (default 127.0.0.1:9092).")
    var kafkaListen: String?

    @Option(name: .customLong("kafka-advertised"), help: "HOST:PORT that clients are told to connect to (default: the listen address).")
    var kafkaAdvertised: String?

    @Option(help: "Partitions of automatically created topics (default 1).")
    var defaultPartitions: Int32?

    func validate() throws {
        if let kafkaListen { _ = try HostPort(parsing: kafkaListen) }
        if let kafkaAdvertised { _ = try HostPort(parsing: kafkaAdvertised) }
        if let httpListen { _ = try HostPort(parsing: httpListen) }
        if let defaultPartitions, defaultPartitions < 1 { throw ValidationError("--default-partitions must be at least 1") }
    }

    /// Embedded defaults, then the file, then the flags.
    func brokerConfig() throws -> BrokerConfig {
        var result = BrokerConfig()
        if let config {
            do { try ServeConfiguration.load(path: config).apply(to: &result) } catch {
                throw ValidationError("\(error)")
            }
        }
        if let dataDirectory { result.dataDirectory = dataDirectory }
        if let kafkaListen {
            let listen = try HostPort(parsing: kafkaListen)
            (result.listenHost, result.listenPort) = (listen.host, listen.port)
        }
        if let kafkaAdvertised {
            let advertised = try HostPort(parsing: kafkaAdvertised)
            (result.advertisedHost, result.advertisedPort) = (advertised.host, advertised.port)
        }
        if let defaultPartitions { result.defaultPartitions = defaultPartitions }
        return result
    }

    @Option(name: .customLong("http-listen"), help: "HOST:PORT of the HTTP API and UI (default 127.0.0.1:8080).")
    var httpListen: String?

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "sluice")
        logger.logLevel = .info
        logger.info("allocator: \(Allocator.jemallocVersion.map { "jemalloc " + $0 } ?? "system malloc")")
        let appliance = try applianceConfig()
        let config = appliance.broker
        let server = try KafkaServer(config: config, logger: logger)
        let store = try LogStore(configuration: appliance.store, now: { Timestamp(nanosecondsSinceEpoch: Self.wallClockNanoseconds()) })
        for problem in store.recoveryReport { logger.warning("log store recovery: \(problem)") }
        let processor = try LogProcessor(pipelines: appliance.pipelines, topics: server.topics, index: LogStoreIndex(store: store),
                                         defaultPartitions: config.defaultPartitions, logger: logger)
        let ready = ReadyFlag()
        let dependencies = HTTPAPIDependencies(
            engine: LogQLEngine(source: store, limits: appliance.http.engineLimits), source: store,
            writer: LocalTopicWriter(topics: server.topics, defaultPartitions: config.defaultPartitions),
            metrics: [ProcessorMetrics(processor: processor), LogStoreMetrics(store: store)],
            isReady: { ready.isSet }, now: { Timestamp(nanosecondsSinceEpoch: Self.wallClockNanoseconds()) })
        let http = HTTPServer.makeApplication(dependencies: dependencies, configuration: appliance.http, logger: logger) { port in
            print("http-port \(port)")
            fflush(nil)
            ready.set()
        }
        // Stopped in reverse order: HTTP first, then the processor (which makes the store
        // durable), then the broker.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: BrokerService(server: server, logger: logger)),
                .init(service: ProcessorService(processor: processor, store: store)),
                .init(service: http),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }

    /// Embedded defaults, then the file, then the flags, for every part.
    func applianceConfig() throws -> (broker: BrokerConfig, store: LogStoreConfiguration, http: HTTPAPIConfiguration, pipelines: [LogPipeline]) {
        let broker = try brokerConfig()
        var store = LogStoreConfiguration(directory: broker.dataDirectory + "/store")
        var http = HTTPAPIConfiguration()
        var pipelines = PipelineConfig.embeddedDefault
        if let config {
            do {
                let file = try ServeConfiguration.load(path: config)
                try file.apply(to: &store)
                try file.apply(to: &http)
                if let configured = file.pipelines { pipelines = configured }
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let httpListen {
            let address = try HostPort(parsing: httpListen)
            (http.host, http.port) = (address.host, address.port)
        }
        do {
            return (broker, store, http, try pipelines.map { try $0.build() })
        } catch {
            throw ValidationError("\(config ?? "embedded configuration"): \(error)")
        }
    }

    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

/// `HOST:PORT`, with `[v6]:PORT` for IPv6.
struct HostPort {
    var host: String
    var port: Int

    init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("'\(text)' is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("'\(text)' has no host") }
        self.host = host
        self.port = port
    }
}
