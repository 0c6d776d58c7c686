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
        let position = positions.withLock { $0[topicPartition] }
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
        var records = decodeRecords(read.bytes, partition: topicPartition)
        if let first = records.first, first.offset < position { records.removeAll { $0.offset < position } }
        // Parsing is pure and per record: big reads are split between the cores, each
        // slice yielding its entries and routed records in offset order.
        let slices = Self.process(records, with: pipeline, partition: topicPartition, metrics: &metrics)
        var last = records.last?.offset ?? position - 1
        if records.isEmpty {
            // Undecodable: skip past what was read so that one bad batch cannot stall the partition.
            last = max(last, position)
        }
        var routedCount = 0, dropped = 0, unreadable = 0, parseFailures = 0, produced = 0
        var routed: [String: [LocalTopicWriter.OutgoingRecord]] = [:]
        for slice in slices {
            for (topic, records) in slice.routed { routed[topic, default: []] += records }
            routedCount += slice.routedCount
            dropped += slice.dropped
            unreadable += slice.unreadable
            parseFailures += slice.parseFailures
            produced += slice.entries.count
        }
        statistics.recordsConsumed.add(records.count, ordering: .relaxed)
        statistics.eventsProcessed.add(produced, ordering: .relaxed)
        statistics.parseFailures.add(parseFailures, ordering: .relaxed)
        statistics.eventsRouted.add(routedCount, ordering: .relaxed)
        statistics.eventsDropped.add(dropped, ordering: .relaxed)
        statistics.recordsUnreadable.add(unreadable, ordering: .relaxed)
        // Routed records are written before the index moves past them: at-least-once.
        for (topic, records) in routed {
            try writer.append(topic: topic, records: records, durable: false)
        }
        // Slices are in offset order, so each append keeps the partition's offsets
        // ascending; only the last carries the mark past records that produced no entry.
        var added = 0
        for (number, slice) in slices.enumerated() {
            let through = number == slices.count - 1 ? [topicPartition: last] : [:]
            guard !slice.entries.isEmpty || !through.isEmpty else { continue }
            added += try index.append(slice.entries, through: through)
        }
        if slices.isEmpty { added += try index.append([], through: [topicPartition: last]) }
        statistics.entriesIndexed.add(added, ordering: .relaxed)
        statistics.entriesDuplicate.add(produced - added, ordering: .relaxed)
        positions.withLock { $0[topicPartition] = last + 1 }
        return true
    }

    /// What the pipeline made of a run of consecutive records, in their offset order.
    struct ProcessedSlice: Sendable {
        var entries: [LogEntry] = []
        var routed: [String: [LocalTopicWriter.OutgoingRecord]] = [:]
        var routedCount = 0
        var dropped = 0
        /// Records without a value.
        var unreadable = 0
        /// Entries kept with the parse-error marker.
        var parseFailures = 0
    }

    /// Runs the pipeline over `records`, on both cores when there are enough of them to
    /// be worth it; the slices come back in offset order.
    static func process(_ records: [Record], with pipeline: LogPipeline, partition: TopicPartition,
                        metrics: inout LogMetricsAggregator) -> [ProcessedSlice] {
        @Sendable func run(_ records: ArraySlice<Record>, _ metrics: inout LogMetricsAggregator) -> ProcessedSlice {
            var slice = ProcessedSlice()
            slice.entries.reserveCapacity(records.count)
            func keep(_ entry: LogEntry) {
                if entry.metadata["parse_error"] != nil { slice.parseFailures += 1 }
                slice.entries.append(entry)
            }
            for record in records {
                guard let value = record.value else {
                    slice.unreadable += 1
                    continue
                }
                let event = EventDecoder.decode(value: value, key: record.key,
                                                recordTimestamp: Timestamp(nanosecondsSinceEpoch: record.timestamp &* 1_000_000))
                let origin = RecordOrigin(topic: partition.topic, partition: partition.partition, offset: record.offset)
                switch pipeline.process(event, origin: origin, metrics: &metrics) {
                case .store(let entry):
                    keep(entry)
                case .routed(let targets, let kept):
                    for target in targets {
                        slice.routed[target.topic, default: []].append(
                            (key: target.event.fields["host"].map { Array($0.text.utf8) }, value: target.event.encodeJSON(),
                             timestampMilliseconds: target.event.timestamp.millisecondsSinceEpoch))
                    }
                    slice.routedCount += targets.count
                    if let kept { keep(kept) }
                case .dropped:
                    slice.dropped += 1
                }
            }
            return slice
        }
        let workers = records.count >= 2000 ? parallelism : 1
        guard workers > 1 else { return records.isEmpty ? [] : [run(records[...], &metrics)] }
        let results = Mutex<[ProcessedSlice]>(Array(repeating: ProcessedSlice(), count: workers))
        let aggregators = Mutex<[LogMetricsAggregator]>(Array(repeating: LogMetricsAggregator(), count: workers))
        let size = (records.count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = min(records.count, worker * size)..<min(records.count, (worker + 1) * size)
            var local = LogMetricsAggregator()
            let slice = run(records[range], &local)
            results.withLock { $0[worker] = slice }
            aggregators.withLock { $0[worker] = local }
        }
        for aggregator in aggregators.withLock({ $0 }) { metrics.merge(aggregator) }
        return results.withLock { results in
            var taken: [ProcessedSlice] = []
            swap(&taken, &results)
            return taken
        }
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

    /// Publishes every pipeline's metric totals as one batch (one batch per interval from
    /// host `sluice`: the metric processor marks series missing from the next batch of a
    /// host stale, so the pipelines' series must travel together). Equal series of two
    /// pipelines are added up.
    private func publishMetrics(_ aggregators: inout [LogMetricsAggregator]) throws {
        var totals: [String: MetricSample] = [:]
        for aggregator in aggregators {
            for sample in aggregator.totalsSnapshot {
                let key = sample.name + "\u{0}" + sample.labels.sortKey
                if let existing = totals[key] {
                    totals[key] = MetricSample(name: sample.name, labels: sample.labels, value: existing.value + sample.value)
                } else {
                    totals[key] = sample
                }
            }
        }
        guard !totals.isEmpty else { return }
        let samples = totals.values.sorted { ($0.name, $0.labels.sortKey) < ($1.name, $1.labels.sortKey) }
        let now = Timestamp(nanosecondsSinceEpoch: Self.wallClockNanoseconds())
        let batch = MetricBatch(timestamp: now, host: "sluice", samples: samples)
        try writer.append(topic: metricsTopic, records: [(key: Array("sluice".utf8), value: batch.encodeJSON(),
                                                          timestampMilliseconds: now.millisecondsSinceEpoch)],
                          durable: false)
    }

    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
