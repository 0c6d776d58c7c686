import Synchronization

/// The metric processor's counters since start, for `/metrics`. Thread-safe (atomics).
public final class MetricProcessorStatistics: Sendable {
    /// Records read from the metrics topic.
    public let recordsConsumed = Atomic<Int>(0)
    /// Records that are not metric batches (logged each time with topic/partition/offset).
    public let recordsInvalid = Atomic<Int>(0)
    /// Records skipped because the store already held them (at or below its marks).
    public let recordsAlreadyStored = Atomic<Int>(0)
    /// Records removed by commit-log retention before the processor read them.
    public let recordsMissed = Atomic<Int>(0)
    /// Samples of valid batches that could not be indexed (no metric name).
    public let samplesRejected = Atomic<Int>(0)
    /// Samples the store accepted (stale markers included).
    public let samplesAppended = Atomic<Int>(0)
    /// Samples with their series' newest timestamp, not stored.
    public let samplesDuplicate = Atomic<Int>(0)
    /// Samples older than their series' newest, kept out of order.
    public let samplesOutOfOrder = Atomic<Int>(0)
    /// Stale markers written for series a host stopped sending.
    public let staleMarkers = Atomic<Int>(0)

    public init() {}
}
