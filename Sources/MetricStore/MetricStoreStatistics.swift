/// Counters for `/metrics`: totals since the store was opened unless stated.
public struct MetricStoreStatistics: Sendable, Equatable {
    /// Series known to the index (current).
    public var series = 0
    /// Samples `append` accepted (in order or into the out-of-order buffer).
    public var samplesAppended = 0
    /// Samples whose timestamp equalled their series' newest: not stored, as Prometheus.
    public var duplicateSamples = 0
    /// Samples older than their series' newest, kept in the out-of-order buffer.
    public var outOfOrderSamples = 0
    /// Appends skipped whole because every partition they cover was already at or past its mark.
    public var replayedAppendsSkipped = 0
    /// Samples in memory, not yet in a block (current).
    public var headSamples = 0
    /// Blocks on disk, their total size and samples (current).
    public var blocks = 0
    public var bytesOnDisk = 0
    public var samplesOnDisk = 0

    /// Bytes on disk per stored sample (0 when nothing is stored).
    public var bytesPerSample: Double { samplesOnDisk == 0 ? 0 : Double(bytesOnDisk) / Double(samplesOnDisk) }

    public init() {}
}
