#if canImport(Glibc)
import Glibc
#endif
import Broker
import CommitLog
import Dispatch
import KafkaWire
import Logging
import MetricStore
import SluiceModel
import Synchronization

/// Indexes the `metrics` topic into the metric store, reading the local commit log
/// directly: each record is an agent's metric batch (`MetricBatchDecoder`).
///
/// Consumption is at-least-once with the store's durable offsets as the committed ones:
/// after a restart each partition resumes after `committedOffsets()`, and records at or
/// below the store's marks are skipped, so nothing is indexed twice. A partition's records
/// are handled in offset order by one thread; partitions are independent (a host's records
/// share a partition, being keyed by host).
///
/// Staleness as Prometheus's scrape loop: a series in a host's previous batch that is
/// missing from its next (newer) batch gets a stale marker at the new batch's time. This
/// state lives in memory; after a restart it starts again from the next batch.
public final class MetricProcessor: Sendable {
    public let statistics = MetricProcessorStatistics()
    public let store: MetricStore
    public let topic: String
    private let topics: TopicStore
    private let logger: Logger
    /// Next offset to read per partition (after the first read of it).
    private let positions = Mutex<[TopicPartition: Int64]>([:])
    /// Series-id caches and staleness per partition (taken out while a partition is processed).
    private let partitionStates = Mutex<[TopicPartition: PartitionState]>([:])
    /// Each host's newest batch time (ms) since this process started.
    private let hostsSeen = Mutex<[String: Int64]>([:])

    /// Bytes read from a partition per step.
    static let readBytes = 1 << 20
    /// Cached series ids per host before the cache is dropped and rebuilt (series churn).
    static let maxCachedSeriesPerHost = 200_000

    public init(store: MetricStore, topics: TopicStore, topic: String = "metrics", logger: Logger) {
        self.store = store
        self.topics = topics
        self.topic = topic
        self.logger = logger
    }

    /// Processes until the task is cancelled, then flushes the store.
    public func run() async throws {
        while !Task.isCancelled {
            let didWork = try processAvailable()
            try store.flushInBackgroundIfDue()
            if didWork {
                await Task.yield()
            } else {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        store.waitForBackgroundFlush()
        try store.flush()
    }

    /// Appends samples that do not come from the topic (recording rules, the appliance's own
    /// metrics): no offsets move.
    @discardableResult
    public func append(_ series: [MetricSeriesSamples]) throws -> MetricAppendResult {
        try store.append(series, through: [:])
    }

    /// One read per partition of the topic; true when anything was read.
    @discardableResult
    public func processAvailable() throws -> Bool {
        guard let count = topics.partitionCount(topic) else { return false }
        var didWork = false
        for partition in 0..<count {
            let topicPartition = TopicPartition(topic: topic, partition: partition)
            guard let handle = topics.partition(topicPartition) else { continue }
            didWork = try process(handle.log) || didWork
        }
        return didWork
    }

    /// The hosts whose batches were processed since the start, with their newest batch's
    /// time (ms): the agents and when each was last seen.
    public func hostsLastSeen() -> [String: Int64] { hostsSeen.withLock { $0 } }

    /// How far each partition is behind its log end, for `/metrics`.
    public func lag() -> [(TopicPartition, Int64)] {
        let known = positions.withLock { $0 }
        var result: [(TopicPartition, Int64)] = []
        for partition in 0..<(topics.partitionCount(topic) ?? 0) {
            let topicPartition = TopicPartition(topic: topic, partition: partition)
            guard let log = topics.partition(topicPartition)?.log else { continue }
            let position = known[topicPartition] ?? log.logStartOffset
            result.append((topicPartition, max(0, log.logEndOffset - position)))
        }
        return result
    }

    private func process(_ log: PartitionLog) throws -> Bool {
        let topicPartition = log.topicPartition
        let position = positions.withLock { $0[topicPartition] }
            ?? store.committedOffsets()[topicPartition].map { $0 + 1 } ?? log.logStartOffset
        guard position < log.logEndOffset else {
            positions.withLock { $0[topicPartition] = position }
            return false
        }
        let read: LogReadResult
        do {
            read = try log.read(from: position, maxBytes: Self.readBytes)
        } catch LogError.offsetOutOfRange(_, let start, _) where position < start {
            logger.error("metric records removed by retention before processing", metadata: [
                "partition": "\(topicPartition)", "from": "\(position)", "to": "\(start - 1)"])
            statistics.recordsMissed.add(Int(start - position), ordering: .relaxed)
            positions.withLock { $0[topicPartition] = start }
            return true
        }
        guard !read.bytes.isEmpty else { return false }
        var records: [Record]
        do {
            records = try read.bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
        } catch {
            logger.error("cannot decode record batches; skipping them", metadata: [
                "partition": "\(topicPartition)", "offset": "\(position)", "error": "\(error)"])
            statistics.recordsInvalid.add(1, ordering: .relaxed)
            records = []
        }
        let undecodable = records.isEmpty
        records.removeAll { $0.offset < position }
        // Undecodable bytes are skipped past, so that one bad batch cannot stall the partition.
        let last = records.last?.offset ?? (undecodable ? position : position - 1)
        // Records the store already holds (another processor instance got them in).
        if let accepted = store.acceptedOffsets()[topicPartition], let first = records.first, first.offset <= accepted {
            let before = records.count
            records.removeAll { $0.offset <= accepted }
            statistics.recordsAlreadyStored.add(before - records.count, ordering: .relaxed)
        }
        statistics.recordsConsumed.add(records.count, ordering: .relaxed)

        let decoded = Self.decode(records)
        var state = partitionStates.withLock { $0.removeValue(forKey: topicPartition) } ?? PartitionState()
        defer { partitionStates.withLock { [state] in $0[topicPartition] = state } }
        var samples: [MetricStoreSample] = []
        samples.reserveCapacity(decoded.reduce(0) { total, outcome in
            if case .success(let batch) = outcome { return total + batch.samples.count }
            return total
        })
        for (record, outcome) in zip(records, decoded) {
            switch outcome {
            case .success(let batch):
                guard let value = record.value else { continue }
                try value.withUnsafeBytes { bytes in
                    try resolve(batch, bytes: bytes, record: record, partition: topicPartition, state: &state, into: &samples)
                }
            case .failure(let error):
                statistics.recordsInvalid.add(1, ordering: .relaxed)
                logger.warning("record is not a metric batch; skipped", metadata: [
                    "topic": "\(topicPartition.topic)", "partition": "\(topicPartition.partition)",
                    "offset": "\(record.offset)", "error": "\(error)"])
            }
        }
        let result = try store.append(samples, through: [topicPartition: last])
        statistics.samplesAppended.add(result.appended, ordering: .relaxed)
        statistics.samplesDuplicate.add(result.duplicates, ordering: .relaxed)
        statistics.samplesOutOfOrder.add(result.outOfOrder, ordering: .relaxed)
        positions.withLock { $0[topicPartition] = last + 1 }
        return true
    }

    /// Turns records of one partition into samples exactly as processing the topic does
    /// (series ids, the `host` label, stale markers for series a host dropped) and appends
    /// them, without moving any marks: for replay, which reads records by event time into a
    /// store of its own rather than by committed offset. Call it per partition in offset
    /// order. Returns what the store did and how many records were not metric batches.
    public func ingest(_ records: [Record], partition topicPartition: TopicPartition) throws -> (appended: MetricAppendResult, invalidRecords: Int) {
        try ingest(DecodedMetricRecords(records, onEveryCore: true), partition: topicPartition)
    }

    /// `ingest` of records decoded beforehand (replay decodes on one thread while another
    /// appends what was decoded before).
    public func ingest(_ decodedRecords: DecodedMetricRecords, partition topicPartition: TopicPartition) throws
        -> (appended: MetricAppendResult, invalidRecords: Int) {
        let (records, decoded) = (decodedRecords.records, decodedRecords.outcomes)
        var state = partitionStates.withLock { $0.removeValue(forKey: topicPartition) } ?? PartitionState()
        defer { partitionStates.withLock { [state] in $0[topicPartition] = state } }
        var samples: [MetricStoreSample] = []
        var invalid = 0
        for (record, outcome) in zip(records, decoded) {
            guard case .success(let batch) = outcome, let value = record.value else {
                invalid += 1
                continue
            }
            try value.withUnsafeBytes { bytes in
                try resolve(batch, bytes: bytes, record: record, partition: topicPartition, state: &state, into: &samples)
            }
        }
        return (try store.append(samples, through: [:]), invalid)
    }

    /// Decodes the records' values, on both cores when there are enough of them (and
    /// `onEveryCore`); outcomes come back in record order.
    static func decode(_ records: [Record], onEveryCore: Bool = true) -> [Result<MetricBatchDecoder.Batch, MetricBatchDecodingError>] {
        @Sendable func decodeOne(_ record: Record) -> Result<MetricBatchDecoder.Batch, MetricBatchDecodingError> {
            guard let value = record.value else {
                return .failure(MetricBatchDecodingError(reason: "the record has no value", position: 0))
            }
            do {
                return .success(try value.withUnsafeBytes { try MetricBatchDecoder.decode($0) })
            } catch let error as MetricBatchDecodingError {
                return .failure(error)
            } catch {
                return .failure(MetricBatchDecodingError(reason: "\(error)", position: 0))
            }
        }
        let workers = records.count >= 64 && onEveryCore ? LogProcessor.parallelism : 1
        guard workers > 1 else { return records.map(decodeOne) }
        let size = (records.count + workers - 1) / workers
        let results = Mutex<[[Result<MetricBatchDecoder.Batch, MetricBatchDecodingError>]]>(Array(repeating: [], count: workers))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = min(records.count, worker * size)..<min(records.count, (worker + 1) * size)
            let slice = records[range].map(decodeOne)
            results.withLock { $0[worker] = slice }
        }
        return results.withLock { $0.flatMap { $0 } }
    }

    /// Turns a decoded batch into samples by series id (cached by the raw bytes of each
    /// sample's name and labels, per host), adding stale markers for series the host dropped.
    private func resolve(_ batch: MetricBatchDecoder.Batch, bytes: UnsafeRawBufferPointer, record: Record,
                         partition: TopicPartition, state: inout PartitionState,
                         into samples: inout [MetricStoreSample]) throws {
        let host = batch.host.map { MetricBatchDecoder.string(bytes, in: $0) } ?? ""
        if !host.isEmpty {
            hostsSeen.withLock { seen in seen[host] = max(seen[host] ?? .min, batch.timestamp) }
        }
        var hostState = state.hosts.removeValue(forKey: host) ?? HostState()
        defer { state.hosts[host] = hostState }
        if hostState.cache.count > Self.maxCachedSeriesPerHost { hostState.cache.removeAll() }
        var ids: [MetricSeriesID] = []
        ids.reserveCapacity(batch.samples.count)
        var rejected = 0
        for sample in batch.samples {
            let id: MetricSeriesID
            if let cached = hostState.cache[sample.hash], cached.matches(bytes, sample) {
                id = cached.id
            } else {
                var pairs = MetricBatchDecoder.labels(bytes, in: sample.labels)
                pairs.removeAll { $0.name == "__name__" }
                pairs.append((name: "__name__", value: MetricBatchDecoder.string(bytes, in: sample.name)))
                if !host.isEmpty, !pairs.contains(where: { $0.name == "host" }) { pairs.append((name: "host", value: host)) }
                do {
                    id = try store.seriesID(for: Labels(unsortedPairs: pairs))
                } catch let error as MetricStoreError {
                    rejected += 1
                    if rejected == 1 {
                        logger.warning("sample cannot be indexed; skipped", metadata: [
                            "topic": "\(partition.topic)", "partition": "\(partition.partition)",
                            "offset": "\(record.offset)", "error": "\(error)"])
                    }
                    continue
                }
                if hostState.cache[sample.hash] == nil {
                    hostState.cache[sample.hash] = CachedSeries(bytes, sample, id: id)
                }
            }
            ids.append(id)
            samples.append(MetricStoreSample(series: id, timestamp: batch.timestamp, value: sample.value))
        }
        if rejected > 0 { statistics.samplesRejected.add(rejected, ordering: .relaxed) }
        // Staleness: only a newer batch says what the host stopped sending.
        if let previous = hostState.previousTimestamp, batch.timestamp <= previous { return }
        if hostState.previousTimestamp != nil {
            state.generation &+= 1
            let generation = state.generation
            for id in ids {
                let index = Int(id.rawValue)
                if index >= state.seen.count { state.seen.append(contentsOf: repeatElement(0, count: index + 1 - state.seen.count)) }
                state.seen[index] = generation
            }
            var stale = 0
            for id in hostState.previousSeries where Int(id.rawValue) >= state.seen.count || state.seen[Int(id.rawValue)] != generation {
                samples.append(MetricStoreSample(series: id, timestamp: batch.timestamp, value: StaleMarker.value))
                stale += 1
            }
            if stale > 0 { statistics.staleMarkers.add(stale, ordering: .relaxed) }
        }
        hostState.previousTimestamp = batch.timestamp
        hostState.previousSeries = ids
    }

    /// A series id with the exact bytes it was found by.
    struct CachedSeries {
        /// The name's JSON bytes, then the labels' JSON bytes.
        let key: [UInt8]
        let nameLength: Int
        let id: MetricSeriesID

        init(_ bytes: UnsafeRawBufferPointer, _ sample: MetricBatchDecoder.Sample, id: MetricSeriesID) {
            key = Array(bytes[sample.name]) + Array(bytes[sample.labels])
            nameLength = sample.name.count
            self.id = id
        }

        @inline(__always)
        func matches(_ bytes: UnsafeRawBufferPointer, _ sample: MetricBatchDecoder.Sample) -> Bool {
            guard sample.name.count == nameLength, sample.name.count + sample.labels.count == key.count else { return false }
            return key.withUnsafeBytes { key in
                guard let stored = key.baseAddress, let base = bytes.baseAddress else { return key.isEmpty }
                return memcmp(stored, base + sample.name.lowerBound, nameLength) == 0
                    && (sample.labels.isEmpty
                        || memcmp(stored + nameLength, base + sample.labels.lowerBound, sample.labels.count) == 0)
            }
        }
    }

    struct HostState {
        var cache: [UInt64: CachedSeries] = [:]
        var previousTimestamp: Int64?
        var previousSeries: [MetricSeriesID] = []
    }

    struct PartitionState {
        var hosts: [String: HostState] = [:]
        /// Per series id, the last staleness check (`generation`) that saw it.
        var seen: [UInt32] = []
        var generation: UInt32 = 0
    }
}

/// Records of the `metrics` topic with their values decoded as metric batches, ready for
/// `MetricProcessor.ingest` (what is decoded stays internal to Processors).
public struct DecodedMetricRecords: @unchecked Sendable {
    let records: [Record]
    let outcomes: [Result<MetricBatchDecoder.Batch, MetricBatchDecodingError>]

    /// Decodes on the calling thread only, or on every core.
    public init(_ records: [Record], onEveryCore: Bool) {
        self.records = records
        outcomes = MetricProcessor.decode(records, onEveryCore: onEveryCore)
    }
}
