import KafkaWire

/// The two sparse indexes of one segment and the running state that decides when to add
/// an entry. The same `add` builds them on append and when recovery rebuilds them, so
/// both paths give identical files.
///
/// Not thread-safe: used under the partition lock.
struct SegmentIndexes: Equatable {
    var offsetIndex = OffsetIndex()
    var timeIndex = TimeIndex()
    /// Largest record timestamp in the segment so far (−1: none).
    var maxTimestamp: Int64 = -1
    private var offsetOfMaxTimestamp: Int64 = -1
    private var bytesSinceLastEntry = 0

    /// Accounts for the batch `header` written at `position`.
    mutating func add(_ header: RecordBatchHeader, at position: Int, segmentBaseOffset: Int64, intervalBytes: Int) {
        if header.maxTimestamp > maxTimestamp {
            maxTimestamp = header.maxTimestamp
            offsetOfMaxTimestamp = header.baseOffset
        }
        if bytesSinceLastEntry >= intervalBytes {
            offsetIndex.append(relativeOffset: UInt32(header.baseOffset - segmentBaseOffset), position: UInt32(position))
            appendTimeEntry(segmentBaseOffset: segmentBaseOffset)
            bytesSinceLastEntry = 0
        }
        bytesSinceLastEntry += header.totalSize
    }

    /// Makes the time index end with the segment's largest timestamp, before sealing.
    mutating func seal(segmentBaseOffset: Int64) {
        appendTimeEntry(segmentBaseOffset: segmentBaseOffset)
    }

    private mutating func appendTimeEntry(segmentBaseOffset: Int64) {
        guard maxTimestamp >= 0 else { return }
        timeIndex.append(timestamp: maxTimestamp, relativeOffset: UInt32(offsetOfMaxTimestamp - segmentBaseOffset))
    }

    /// Indexes loaded from files, trusted as a sealed segment's.
    init(offsetIndex: OffsetIndex, timeIndex: TimeIndex, segmentBaseOffset: Int64) {
        self.offsetIndex = offsetIndex
        self.timeIndex = timeIndex
        self.maxTimestamp = timeIndex.lastTimestamp ?? -1
        self.offsetOfMaxTimestamp = segmentBaseOffset + Int64(timeIndex.relativeOffsets.last ?? 0)
    }

    init() {}
}
