import AgentInputs
import Logging
import SluiceModel
import Synchronization

/// Runs one `type: host_metrics` input: samples /proc and /sys every `interval` into a
/// metric batch (with the agent's own counters), appends it to a bounded on-disk queue,
/// and a second loop sends the queue in order, removing batches only once acknowledged.
/// While the broker is unreachable batches wait on disk; past `queue_max_bytes` the
/// oldest are dropped and counted as a data gap.
final class HostMetricsSource: Sendable {
    let config: HostMetricsInputConfig
    let context: SourceContext
    private var host: String { context.host }
    private var shipper: Shipper { context.shipper }
    private var counters: AgentCounters { context.counters }
    private var logger: Logger { context.logger }
    let queue: DiskQueue
    private let collector: HostMetricsCollector
    private let queued = AsyncSignal()
    private let reportedFailures = Mutex<Set<String>>([])

    init(config: HostMetricsInputConfig, context: SourceContext, stateDirectory: String) throws {
        self.config = config
        self.context = context
        queue = try DiskQueue(directory: stateDirectory + "/queue-" + config.name, maxBytes: config.queueMaxBytes)
        collector = HostMetricsCollector(procRoot: config.procRoot, sysRoot: config.sysRoot)
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sampleLoop() }
            group.addTask { await self.sendLoop() }
        }
    }

    private func sampleLoop() async {
        let interval = config.intervalNanoseconds
        while !Task.isCancelled {
            sampleOnce()
            // Sample on interval boundaries of wall time, so hosts line up on charts.
            let now = currentTimestamp().nanosecondsSinceEpoch
            let wait = UInt64(Int64(interval) - now % Int64(interval))
            do { try await Task.sleep(nanoseconds: wait) } catch { return }
        }
    }

    func sampleOnce() {
        let timestamp = currentTimestamp()
        var samples: [MetricSample]
        do {
            let snapshot = try collector.collect()
            samples = snapshot.samples
            for failure in snapshot.failures {
                let isNew = reportedFailures.withLock { $0.insert(failure.collector.rawValue).inserted }
                if isNew { logger.notice("host metrics collector unavailable; the others go on", metadata: ["error": "\(failure)"]) }
            }
        } catch {
            logger.error("cannot sample host metrics", metadata: ["error": "\(error)"])
            samples = []
        }
        samples += counters.samples()
        if !config.labels.isEmpty {
            for index in samples.indices {
                for (name, value) in config.labels where samples[index].labels[name] == nil {
                    samples[index].labels[name] = value
                }
            }
        }
        var payload: [UInt8] = []
        withUnsafeBytes(of: timestamp.millisecondsSinceEpoch.littleEndian) { payload.append(contentsOf: $0) }
        payload += MetricBatch(timestamp: timestamp, host: host, samples: samples).encodeJSON()
        do {
            let dropped = try queue.append(payload)
            if dropped > 0 {
                counters.add(.metricBatchesDropped, dropped)
                counters.add(.dataGaps)
                logger.warning("metric queue full; dropped the oldest batches", metadata: ["batches": "\(dropped)"])
            }
        } catch {
            counters.add(.metricBatchesDropped)
            counters.add(.dataGaps)
            logger.error("cannot queue metric batch; it is lost", metadata: ["error": "\(error)"])
        }
        queued.raise()
    }

    private func sendLoop() async {
        let hostKey = Array(host.utf8)
        while !Task.isCancelled {
            let items = queue.peek(max: 32)
            guard let last = items.last else {
                _ = await queued.wait(timeoutNanoseconds: 1_000_000_000)
                continue
            }
            let records = items.map { item in
                let milliseconds = item.payload.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
                return OutgoingRecord(topic: config.topic, key: hostKey, value: Array(item.payload.dropFirst(8)),
                                      timestampMilliseconds: milliseconds)
            }
            // The send waits as long as the broker is away; shutdown must not (the batches
            // stay queued on disk and go out after the restart).
            let sender = shipper.sender
            guard let outcomes = await unlessCancelled({ await sender.send(records) }) else { return }
            var retry = false
            for (record, outcome) in zip(records, outcomes) {
                switch outcome {
                case .acknowledged:
                    continue
                case .retriable(let reason):
                    counters.add(.sendFailures)
                    logger.warning("metric batches refused; sending again", metadata: ["error": "\(reason)"])
                    retry = true
                case .permanent(let reason):
                    // Never acceptable as is (too large): skipped, and counted as a gap.
                    counters.add(.dataGaps)
                    counters.add(.dataGapBytes, record.value.count)
                    logger.error("metric batch refused for good; skipping it", metadata: ["error": "\(reason)"])
                }
            }
            if retry {
                try? await Task.sleep(nanoseconds: config.intervalNanoseconds)
                continue
            }
            do { try queue.acknowledge(through: last.sequence) } catch {
                logger.error("cannot move the metric queue's head", metadata: ["error": "\(error)"])
            }
        }
    }
}
