#if canImport(Glibc)
import Glibc
#endif
import Broker
import CommitLog
import KafkaWire
import Logging
import MetricStore
import Processors
import SluiceModel
import Synchronization

/// The samples of one replay: a `MetricStore` of its own in a temporary folder, filled by
/// the live processor's decoding path (`MetricProcessor.ingest`: the same series, `host`
/// labels and stale markers as `sluice serve` indexes), and by recording rules as they run.
/// Its head is never flushed: Gorilla chunks hold a day of 50 hosts' metrics in tens of MB,
/// and the folder only exists because the store wants one. `close()` removes it.
///
/// Thread-safety: as `MetricStore` (any thread); `ingest` per partition in offset order.
public final class ReplayBuffer: MetricSampleSource, Sendable {
    public let directory: String
    let store: MetricStore
    private let processor: MetricProcessor
    private let counts = Mutex((samples: 0, invalidRecords: 0))

    /// Creates the folder (a fresh one per replay) and an empty store in it.
    public init(directory: String, topics: TopicStore, topic: String, logger: Logger) throws {
        self.directory = directory
        try FileSystem.createDirectory(directory)
        // The head's age and size never trigger a flush: nothing calls the flush methods.
        store = try MetricStore(configuration: MetricStoreConfiguration(directory: directory, retentionMilliseconds: nil),
                                now: { Timestamp(nanosecondsSinceEpoch: 0) })
        processor = MetricProcessor(store: store, topics: topics, topic: topic, logger: logger)
    }

    /// Indexes records of one partition (in offset order).
    public func ingest(_ records: [Record], partition: TopicPartition) throws {
        try ingest(DecodedMetricRecords(records, onEveryCore: true), partition: partition)
    }

    /// Indexes records decoded beforehand (see `ReplayReadAhead`).
    public func ingest(_ records: DecodedMetricRecords, partition: TopicPartition) throws {
        let (appended, invalid) = try processor.ingest(records, partition: partition)
        counts.withLock {
            $0.samples += appended.appended
            $0.invalidRecords += invalid
        }
    }

    /// Samples stored so far, and records that were not metric batches.
    public var statistics: (samples: Int, invalidRecords: Int) { counts.withLock { $0 } }

    /// Recording rules' results, as the live sink writes them: the name as `__name__`.
    public func record(time: Int64, samples: [MetricSample]) {
        let series = samples.map { sample in
            var labels = sample.labels
            labels["__name__"] = sample.name
            return MetricSeriesSamples(labels: labels, timestamps: [time], values: [sample.value])
        }
        _ = try? store.append(series)
    }

    public func samples(matching matchers: [LabelMatcher], start: Int64, end: Int64) throws -> [MetricSeriesSamples] {
        try store.samples(matching: matchers, start: start, end: end)
    }

    /// Removes the folder. The store is not closed: closing would flush the head into a
    /// block only to delete it.
    public func close() {
        Self.removeTree(directory)
    }

    /// Removes a folder and everything in it (best effort).
    static func removeTree(_ path: String) {
        if FileSystem.isDirectory(path) {
            for name in (try? FileSystem.contents(of: path)) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            try? FileSystem.remove(path)
        }
    }
}
