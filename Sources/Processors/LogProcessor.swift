#if canImport(Glibc)
import Glibc
#endif
import Broker
import Dispatch
import CommitLog
import KafkaWire
import Logging
import Pipeline
import SluiceModel
import Synchronization

/// Runs the configured pipelines over the appliance's own topics, reading the local
/// commit log directly (no network hop), and hands the entries to the log index.
///
/// Consumption is at-least-once with the index's durable offsets as the committed ones:
/// after a restart each partition resumes after `committedOffsets()`, and the index
/// skips anything it already holds. A partition's records are processed in offset
/// order by one worker; partitions are independent.
public final class LogProcessor: Sendable {
    public let pipelines: [LogPipeline]
    public let statistics = ProcessorStatistics()
    private let topics: TopicStore
    private let index: any LogIndex
    private let writer: LocalTopicWriter
    private let logger: Logger
    private let metricsTopic: String
    /// Next offset to read per partition (after the first read of it).
    private let positions = Mutex<[TopicPartition: Int64]>([:])

    /// Bytes read from a partition per step: big enough to amortise, small enough to
    /// keep other partitions and the flush moving.
    static let readBytes = 1 << 20

    public init(pipelines: [LogPipeline], topics: TopicStore, index: any LogIndex, defaultPartitions: Int32,
                metricsTopic: String = "metrics", logger: Logger) throws {
        var seen: [String: String] = [:]
        for pipeline in pipelines {
            for topic in pipeline.topics {
                if let other = seen[topic] {
                    throw PipelineConfigError("topic \(topic) is consumed by both pipeline \(other) and \(pipeline.name); a topic feeds one pipeline")
                }
                seen[topic] = pipeline.name
            }
        }
        self.pipelines = pipelines
        self.topics = topics
        self.index = index
        self.writer = LocalTopicWriter(topics: topics, defaultPartitions: defaultPartitions)
        self.metricsTopic = metricsTopic
        self.logger = logger
    }

    /// Processes until the task is cancelled, then makes the index durable.
    public func run() async throws {
        var metrics = pipelines.map { _ in LogMetricsAggregator() }
        var lastMetricsFlush = ContinuousClock.now
        while !Task.isCancelled {
            var didWork = false
            for (number, pipeline) in pipelines.enumerated() {
                didWork = try processAvailable(pipeline, metrics: &metrics[number]) || didWork
            }
            try index.flushIfDue()
            if ContinuousClock.now - lastMetricsFlush >= .seconds(10) {
                lastMetricsFlush = ContinuousClock.now
                try publishMetrics(&metrics)
            }
            if !didWork {
                try? await Task.sleep(for: .milliseconds(50))
            } else {
                await Task.yield()
            }
        }
        try publishMetrics(&metrics)
        try index.flush()
    }

    /// One read per partition of the pipeline's topics; true when anything was read.
    @discardableResult
    public func processAvailable(_ pipeline: LogPipeline, metrics: inout LogMetricsAggregator) throws -> Bool {
        var didWork = false
        for topic in pipeline.topics {
            guard let count = topics.partitionCount(topic) else { continue }
            for partition in 0..<count {
                let topicPartition = TopicPartition(topic: topic, partition: partition)
                guard let handle = topics.partition(topicPartition) else { continue }
                didWork = try process(pipeline, partition: handle.log, metrics: &metrics) || didWork
            }
        }
        return didWork
    }

    /// How far each consumed partition is behind its log end, for `/metrics`.
    public func lag() -> [(TopicPartition, Int64)] {
        let known = positions.withLock { $0 }
        var result: [(TopicPartition, Int64)] = []
        for pipeline in pipelines {
            for topic in pipeline.topics {
                for partition in 0..<(topics.partitionCount(topic) ?? 0) {
                    let topicPartition = TopicPartition(topic: topic, partition: partition)
                    guard let log = topics.partition(topicPartition)?.log else { continue }
                    let position = known[topicPartition] ?? log.logStartOffset
                    result.append((topicPartition, max(0, log.logEndOffset - position)))
                }
            }
        }
        return result
    }

    private func process(_ pipeline: LogPipeline, partition log: PartitionLog, metrics: inout LogMetricsAggregator) throws -> Bool {
        let topicPartition = log.topicPartition
        var position = positions.withLock { $0[topicPartition] }
            ?? index.committedOffsets()[topicPartition].map { $0 + 1 } ?? log.logStartOffset
        guard position < log.logEndOffset else {
            positions.withLock { $0[topicPartition] = position }
            return false
        }
        let read: LogReadResult
        do {
            read = try log.read(from: position, maxBytes: Self.readBytes)
        } catch LogError.offsetOutOfRange(_, let start, _) where position < start {
            // Retention removed records before they were processed: say so, go on from the start.
            logger.error("records removed by retention before processing", metadata: [
                "partition": "\(topicPartition)", "from": "\(position)", "to": "\(start - 1)"])
            statistics.recordsMissed.add(Int(start - position), ordering: .relaxed)
            positions.withLock { $0[topicPartition] = start }
            return true
        }
        guard !read.bytes.isEmpty else { return false }
        let records = decodeRecords(read.bytes, partition: topicPartition).filter { $0.offset >= position }
        // Parsing is pure and per record: big reads are split between the cores, and the
        // results are put back in offset order before they reach the index.
        let outcomes = Self.process(records, with: pipeline, partition: topicPartition, metrics: &metrics)
        var entries: [LogEntry] = []
        entries.reserveCapacity(records.count)
        var routed: [String: [(key: [UInt8]?, value: [UInt8], timestampMilliseconds: Int64)]] = [:]
        var last = position - 1
        for (record, outcome) in zip(records, outcomes) {
            last = record.offset
            func route(_ targets: [(topic: String, event: PipelineEvent)]) {
                for target in targets {
                    routed[target.topic, default: []].append(
                        (key: target.event.fields["host"].map { Array($0.text.utf8) }, value: target.event.encodeJSON(),
                         timestampMilliseconds: target.event.timestamp.millisecondsSinceEpoch))
                }
                statistics.eventsRouted.add(targets.count, ordering: .relaxed)
            }
            switch outcome {
            case .store(let entry)?:
                entries.append(entry)
            case .routed(let targets, let keep)?:
                route(targets)
                if let keep { entries.append(keep) }
            case .dropped?:
                statistics.eventsDropped.add(1, ordering: .relaxed)
            case nil:
                statistics.recordsUnreadable.add(1, ordering: .relaxed)
            }
        }
        let consumed = records.count
        if records.isEmpty {
            // Undecodable: skip past what was read so that one bad batch cannot stall the partition.
            last = max(last, position)
        }
        statistics.recordsConsumed.add(consumed, ordering: .relaxed)
        statistics.eventsProcessed.add(entries.count, ordering: .relaxed)
        statistics.parseFailures.add(entries.lazy.filter { $0.metadata["parse_error"] != nil }.count, ordering: .relaxed)
        // Routed records are written before the index moves past them: at-least-once.
        for (topic, records) in routed {
            try writer.append(topic: topic, records: records, durable: false)
        }
        let added = try index.append(entries, through: [topicPartition: last])
        statistics.entriesIndexed.add(added, ordering: .relaxed)
        statistics.entriesDuplicate.add(entries.count - added, ordering: .relaxed)
        positions.withLock { $0[topicPartition] = last + 1 }
        return true
    }

    /// Runs the pipeline over `records` (nil for a record without a value), on both cores
    /// when there are enough of them to be worth it.
    static func process(_ records: [Record], with pipeline: LogPipeline, partition: TopicPartition,
                        metrics: inout LogMetricsAggregator) -> [LogPipeline.Outcome?] {
        @Sendable func run(_ slice: ArraySlice<Record>, _ metrics: inout LogMetricsAggregator) -> [LogPipeline.Outcome?] {
            slice.map { record in
                guard let value = record.value else { return nil }
                let event = EventDecoder.decode(value: value, key: record.key,
                                                recordTimestamp: Timestamp(nanosecondsSinceEpoch: record.timestamp &* 1_000_000))
                let origin = RecordOrigin(topic: partition.topic, partition: partition.partition, offset: record.offset)
                return pipeline.process(event, origin: origin, metrics: &metrics)
            }
        }
        let workers = records.count >= 2000 ? parallelism : 1
        guard workers > 1 else { return run(records[...], &metrics) }
        let results = Mutex<[[LogPipeline.Outcome?]]>(Array(repeating: [], count: workers))
        let aggregators = Mutex<[LogMetricsAggregator]>(Array(repeating: LogMetricsAggregator(), count: workers))
        let size = (records.count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let slice = records[min(records.count, worker * size)..<min(records.count, (worker + 1) * size)]
            var local = LogMetricsAggregator()
            let outcomes = run(slice, &local)
            results.withLock { $0[worker] = outcomes }
            aggregators.withLock { $0[worker] = local }
        }
        for aggregator in aggregators.withLock({ $0 }) { metrics.merge(aggregator) }
        return results.withLock { $0.flatMap { $0 } }
    }

    /// Threads that parse one read: the machine's cores.
    static let parallelism = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    private func decodeRecords(_ bytes: [UInt8], partition: TopicPartition) -> [Record] {
        do {
            return try bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
        } catch {
            logger.error("cannot decode records; skipping the batch", metadata: ["partition": "\(partition)", "error": "\(error)"])
            statistics.recordsUnreadable.add(1, ordering: .relaxed)
            return []
        }
    }

    private func publishMetrics(_ aggregators: inout [LogMetricsAggregator]) throws {
        let now = Timestamp(nanosecondsSinceEpoch: Self.wallClockNanoseconds())
        for number in aggregators.indices {
            guard let samples = aggregators[number].snapshotIfChanged() else { continue }
            let batch = MetricBatch(timestamp: now, host: "sluice", samples: samples)
            try writer.append(topic: metricsTopic, records: [(key: Array("sluice".utf8), value: batch.encodeJSON(),
                                                              timestampMilliseconds: now.millisecondsSinceEpoch)],
                              durable: false)
        }
    }

    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
