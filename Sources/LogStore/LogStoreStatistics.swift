/// Counters for `/metrics`: totals since the store was opened unless stated.
public struct LogStoreStatistics: Sendable, Equatable {
    /// Entries accepted by `append` (new origins).
    public var entriesIndexed = 0
    /// Entries `append` skipped because their origin was already stored.
    public var duplicatesSkipped = 0
    /// Entries and raw bytes (lines + metadata) in memory, not yet in a part (current).
    public var headEntries = 0
    public var headBytes = 0
    /// Parts on disk, their total size, entries and line bytes (current).
    public var parts = 0
    public var bytesOnDisk = 0
    public var entriesStored = 0
    public var rawBytesStored = 0
    /// Blocks scans decoded, and blocks they ruled out without reading.
    public var blocksScanned = 0
    public var blocksSkippedByTime = 0
    public var blocksSkippedByStream = 0
    public var blocksSkippedByBloom = 0

    public init() {}
}
