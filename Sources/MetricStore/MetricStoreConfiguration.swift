/// How a `MetricStore` sizes its head and keeps its blocks.
public struct MetricStoreConfiguration: Sendable {
    /// The store's folder (created when missing); see `MetricStoreFileNames`.
    public var directory: String
    /// Remove blocks whose newest sample is older than this (milliseconds); nil keeps them.
    /// Default 15 days, as Prometheus.
    public var retentionMilliseconds: Int64?
    /// Remove the oldest blocks while the blocks' total size exceeds this; nil for no limit.
    public var retentionBytes: Int?
    /// Flush the head into a block once its first sample arrived this long ago (by the
    /// store's clock, in nanoseconds). Default 1 hour: after a crash at most that much of
    /// the topic is read again, and chunks stay long enough to compress well.
    public var maxHeadAgeNanoseconds: Int64
    /// Flush the head once it holds this many samples. Default 8 million (tens of MB).
    public var maxHeadSamples: Int
    /// zstd level for block data. Default 3.
    public var compressionLevel: Int
    /// Raw chunk bytes per zstd frame in a block: a query decompresses only the frames of
    /// the series it reads. Default 256 KiB.
    public var frameTargetBytes: Int

    public init(directory: String,
                retentionMilliseconds: Int64? = 15 * 24 * 3600 * 1000,
                retentionBytes: Int? = nil,
                maxHeadAgeNanoseconds: Int64 = 3600 * 1_000_000_000,
                maxHeadSamples: Int = 8_000_000,
                compressionLevel: Int = 3,
                frameTargetBytes: Int = 256 << 10) {
        self.directory = directory
        self.retentionMilliseconds = retentionMilliseconds
        self.retentionBytes = retentionBytes
        self.maxHeadAgeNanoseconds = maxHeadAgeNanoseconds
        self.maxHeadSamples = maxHeadSamples
        self.compressionLevel = compressionLevel
        self.frameTargetBytes = frameTargetBytes
    }
}
