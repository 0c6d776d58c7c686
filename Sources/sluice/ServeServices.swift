import Alerting
import HTTPAPI
import SluiceModel
import Broker
import Foundation
import LogStore
import Logging
import MetricStore
import Processors
import ServiceLifecycle
import Synchronization

/// The broker as a service: listens until graceful shutdown, then closes every partition.
struct BrokerService: Service {
    let server: KafkaServer
    let logger: Logger

    func run() async throws {
        let address = try await server.start()
        // Tests start on port 0 and read the port from here; scripts wait for it.
        print("kafka-port \(address.port ?? 0)")
        fflush(nil)
        try? await gracefulShutdown()
        logger.info("shutting down the broker")
        try await server.shutdown()
    }
}

/// The log pipelines as a service: process until graceful shutdown, then flush and close
/// the store (the processor's run makes it durable when cancelled).
struct ProcessorService: Service {
    let processor: LogProcessor
    let store: LogStore

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await processor.run()
        }
        try store.close()
    }
}

/// Set once the HTTP server listens: `/readyz` answers 200 from then on.
final class ReadyFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// Indexes the `metrics` topic into the metric store, applies its retention once a
/// minute, and makes it durable on shutdown.
struct MetricProcessorService: Service {
    let processor: MetricProcessor
    let logger: Logger

    func run() async throws {
        let store = processor.store
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await processor.run() }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(60))
                        do {
                            let removed = try store.applyRetention()
                            if removed > 0 { logger.info("metric store retention removed \(removed) blocks") }
                        } catch {
                            logger.error("metric store retention failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
        try store.close()
    }
}

/// Evaluates the rules live and delivers notifications; alert state is restored at start
/// (alerts pending or firing before a restart are not notified again) and saved by the
/// rule manager after each evaluation that changes it.
struct AlertingService: Service {
    let rules: RuleManager
    let notifiers: AlertNotifiers
    let logger: Logger

    func run() async throws {
        do {
            let restored = try rules.restoreSnapshot()
            if restored > 0 { logger.info("alerting: restored \(restored) active alerts") }
        } catch {
            logger.error("alerting: alert state not restored", metadata: ["error": "\(error)"])
        }
        notifiers.start()
        defer { notifiers.stop() }
        try await cancelWhenGracefulShutdown {
            do { try await rules.run() } catch is CancellationError {}
        }
        // With no rules, `run` returns at once; the service still lives until shutdown
        // (a service that returns early stops the whole appliance).
        try? await gracefulShutdown()
    }
}

/// Stores the appliance's own metrics (what `/metrics` shows) in its metric store every
/// `interval`, labelled `job="sluice"`, as a Prometheus scraping it would: the UI's
/// "Pipeline health" charts them with PromQL.
struct SelfMetricsService: Service {
    let parts: [any MetricsExposition]
    let processor: MetricProcessor
    let instance: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                scrapeOnce(at: ServeCommand.wallClockNanoseconds() / 1_000_000)
                try? await Task.sleep(for: interval)
            }
        }
    }

    func scrapeOnce(at milliseconds: Int64) {
        var text = ""
        for part in parts { part.appendMetrics(to: &text) }
        let (samples, unreadable) = ExpositionSamples.parse(text)
        if unreadable > 0 { logger.warning("self-metrics: \(unreadable) lines of /metrics not understood") }
        let series = samples.map { sample in
            var labels = sample.labels
            labels["job"] = "sluice"
            labels["instance"] = instance
            return MetricSeriesSamples(labels: labels, timestamps: [milliseconds], values: [sample.value])
        }
        do { try processor.append(series) } catch {
            logger.error("self-metrics not stored", metadata: ["error": "\(error)"])
        }
    }
}
