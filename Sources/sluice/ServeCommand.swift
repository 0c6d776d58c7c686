import Alerting
import ArgumentParser
import Broker
import Foundation
import HTTPAPI
import LogQL
import LogStore
import MetricStore
import Logging
import Pipeline
import Processors
import PromQL
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
        let metricStore = try MetricStore(configuration: appliance.metrics, now: { Timestamp(nanosecondsSinceEpoch: Self.wallClockNanoseconds()) })
        for problem in metricStore.recoveryReport { logger.warning("metric store recovery: \(problem)") }
        let metricProcessor = MetricProcessor(store: metricStore, topics: server.topics, logger: logger)
        let writer = LocalTopicWriter(topics: server.topics, defaultPartitions: config.defaultPartitions)
        let promql = PromQLEngine(source: metricStore)
        let alerting = try Self.makeAlerting(appliance.alerting, engine: promql, processor: metricProcessor, writer: writer, logger: logger)
        let ready = ReadyFlag()
        let status = StatusDependencies(
            topics: server.topics, consumerGroups: { server.consumerGroups() },
            internalConsumers: {
                [InternalConsumerLag(name: "sluice log pipelines", lag: processor.lag().map { ($0.0, $0.1) }),
                 InternalConsumerLag(name: "sluice metric ingestion", lag: metricProcessor.lag().map { ($0.0, $0.1) })]
            },
            agentsLastSeen: { metricProcessor.hostsLastSeen() })
        let exposition: [any MetricsExposition] = [
            ProcessorMetrics(processor: processor), LogStoreMetrics(store: store), MetricIngestMetrics(processor: metricProcessor),
            AlertingMetrics(rules: alerting.rules, notifiers: alerting.notifiers), BrokerMetrics(status: status)]
        var dependencies = HTTPAPIDependencies(
            engine: LogQLEngine(source: store, limits: appliance.http.engineLimits), source: store,
            writer: writer, metrics: exposition,
            isReady: { ready.isSet }, now: { Timestamp(nanosecondsSinceEpoch: Self.wallClockNanoseconds()) })
        dependencies.status = status
        dependencies.metricQueries = MetricsDependencies(engine: promql, store: metricStore, rules: alerting.rules)
        dependencies.replay = Self.makeReplay(appliance.alerting, topics: server.topics, writer: writer, dataDirectory: config.dataDirectory, logger: logger)
        let http = HTTPServer.makeApplication(dependencies: dependencies, configuration: appliance.http, logger: logger) { port in
            print("http-port \(port)")
            fflush(nil)
            ready.set()
        }
        // Stopped in reverse order: HTTP first, then alerting (its state saved), then the
        // processors (which make the stores durable), then the broker.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: BrokerService(server: server, logger: logger)),
                .init(service: ProcessorService(processor: processor, store: store)),
                .init(service: MetricProcessorService(processor: metricProcessor, logger: logger)),
                .init(service: SelfMetricsService(parts: exposition, processor: metricProcessor,
                                                  instance: "\(appliance.http.host):\(appliance.http.port)",
                                                  interval: .seconds(10), logger: logger)),
                .init(service: AlertingService(rules: alerting.rules, notifiers: alerting.notifiers, logger: logger)),
                .init(service: http),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }

    /// Embedded defaults, then the file, then the flags, for every part.
    func applianceConfig() throws -> ApplianceConfiguration {
        let broker = try brokerConfig()
        var store = LogStoreConfiguration(directory: broker.dataDirectory + "/store")
        var metrics = MetricStoreConfiguration(directory: broker.dataDirectory + "/metrics")
        var alerting = AlertingConfiguration()
        alerting.statePath = broker.dataDirectory + "/alerts-state.json"
        var http = HTTPAPIConfiguration()
        var pipelines = PipelineConfig.embeddedDefault
        if let config {
            do {
                let file = try ServeConfiguration.load(path: config)
                try file.apply(to: &store)
                try file.apply(to: &http)
                try file.apply(to: &metrics)
                let directory = URL(fileURLWithPath: config).deletingLastPathComponent().path
                try file.apply(to: &alerting, configDirectory: directory)
                file.apply(toUI: &http, configDirectory: directory)
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
            return ApplianceConfiguration(broker: broker, store: store, http: http, pipelines: try pipelines.map { try $0.build() },
                                          metrics: metrics, alerting: alerting)
        } catch {
            throw ValidationError("\(config ?? "embedded configuration"): \(error)")
        }
    }

    /// The rule manager over the metric store, its notifiers, and where their output goes:
    /// transitions and dead letters to the `alerts` topic, recorded samples into the store.
    static func makeAlerting(_ configuration: AlertingConfiguration, engine: PromQLEngine, processor: MetricProcessor,
                             writer: LocalTopicWriter, logger: Logger) throws -> (rules: RuleManager, notifiers: AlertNotifiers) {
        let evaluator = PromQLRuleEvaluator(engine: engine)
        let files: [RuleFile]
        do { files = try RuleFileParser(evaluator: evaluator).load(patterns: configuration.ruleFiles) } catch {
            throw ValidationError("\(error)")
        }
        let notifiers = AlertNotifiers(configuration: configuration, deadLetters: { letter in
            logger.error("notification given up", metadata: ["receiver": "\(letter.receiver)", "error": "\(letter.lastError)"])
            do {
                try writer.append(topic: "alerts", records: [(key: Array(letter.receiver.utf8), value: letter.encodeJSON(),
                                                              timestampMilliseconds: letter.gaveUpAt)], durable: true)
            } catch {
                logger.error("cannot write a dead letter to the alerts topic", metadata: ["error": "\(error)"])
            }
        }, logger: logger)
        let sinks = notifiers.ruleManagerSinks(
            recordedSamples: { time, samples in
                let series = samples.map { sample in
                    var labels = sample.labels
                    labels["__name__"] = sample.name
                    return MetricSeriesSamples(labels: labels, timestamps: [time], values: [sample.value])
                }
                do { try processor.append(series) } catch {
                    logger.error("cannot store recording rule samples", metadata: ["error": "\(error)"])
                }
            },
            transitions: { transitions in
                let records = transitions.map { transition in
                    (key: Optional(Array(transition.rule.utf8)), value: transition.encodeJSON(), timestampMilliseconds: transition.time)
                }
                do { try writer.append(topic: "alerts", records: records, durable: true) } catch {
                    logger.error("cannot write alert transitions to the alerts topic", metadata: ["error": "\(error)"])
                }
            })
        let rules = RuleManager(files: files, evaluator: evaluator, configuration: configuration.ruleManagerConfiguration,
                                sinks: sinks, logger: logger)
        logger.info("alerting: \(files.reduce(0) { $0 + $1.groups.count }) rule groups from \(files.count) files, \(configuration.webhooks.count) webhooks, \(configuration.alertmanagers.count) alertmanagers")
        return (rules, notifiers)
    }

    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

/// Every part's settings: embedded defaults, then the file, then the flags.
struct ApplianceConfiguration {
    var broker: BrokerConfig
    var store: LogStoreConfiguration
    var http: HTTPAPIConfiguration
    var pipelines: [LogPipeline]
    var metrics: MetricStoreConfiguration
    var alerting: AlertingConfiguration
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
