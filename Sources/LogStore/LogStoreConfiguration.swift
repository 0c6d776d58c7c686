/// How a `LogStore` sizes its head, blocks and retention.
public struct LogStoreConfiguration: Sendable {
    /// The store's folder (created when missing); see `LogStoreFileNames`.
    public var directory: String
    /// Flush the head into a part once its raw bytes (lines + metadata) reach this. Default 64 MiB.
    public var maxHeadBytes: Int
    /// Flush the head once its first entry is this old (by the store's clock). Default 5 minutes.
    public var maxHeadAgeNanoseconds: Int64
    /// Raw bytes (lines + metadata) per block. Larger blocks compress better; smaller ones
    /// let time bounds and bloom filters skip more. Default 1 MiB.
    public var blockTargetBytes: Int
    /// Remove parts whose newest entry is older than this; nil keeps them. Default 7 days.
    public var retentionNanoseconds: Int64?
    /// Remove the oldest parts while the parts' total size exceeds this; nil for no limit.
    public var retentionBytes: Int?
    /// zstd level for block columns. Default 3.
    public var compressionLevel: Int
    /// Once this many small parts (under a quarter of `maxHeadBytes` of lines each) exist, a
    /// flush merges the oldest of them into one part; nil never merges. Default 8. Quiet
    /// traffic makes a small part every `maxHeadAgeNanoseconds`; merging keeps their count
    /// (open files, per-part work in every scan) low.
    public var compactionMinimumParts: Int?

    public init(directory: String,
                maxHeadBytes: Int = 64 << 20,
                maxHeadAgeNanoseconds: Int64 = 5 * 60 * 1_000_000_000,
                blockTargetBytes: Int = 1 << 20,
                retentionNanoseconds: Int64? = 7 * 24 * 3600 * 1_000_000_000,
                retentionBytes: Int? = nil,
                compressionLevel: Int = 3,
                compactionMinimumParts: Int? = 8) {
        self.directory = directory
        self.maxHeadBytes = maxHeadBytes
        self.maxHeadAgeNanoseconds = maxHeadAgeNanoseconds
        self.blockTargetBytes = blockTargetBytes
        self.retentionNanoseconds = retentionNanoseconds
        self.retentionBytes = retentionBytes
        self.compressionLevel = compressionLevel
        self.compactionMinimumParts = compactionMinimumParts
    }
}
