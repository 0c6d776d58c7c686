import KafkaWire

#if canImport(Glibc)
import Glibc
#endif

/// One segment of a partition: a `.log` file of whole RecordBatch v2 batches, back to back,
/// exactly as producers sent them except for BaseOffset (assigned by the log) and
/// PartitionLeaderEpoch (set to `PartitionLog.storedLeaderEpoch`), plus its two indexes.
///
/// Thread-safety: the mutable fields are read and written only under the owning
/// partition's lock. `file` may be read (pread) from any thread; readers take a reference
/// under the lock and read outside it, up to the `size` they saw.
final class LogSegment: @unchecked Sendable {
    let baseOffset: Int64
    let directory: String
    let file: FileHandle
    /// Bytes of valid batches; appends go here.
    var size: Int
    /// In memory for the active segment and for sealed ones once used; nil until loaded
    /// (sealed segments load lazily so that opening a log does not grow with its size).
    var indexes: SegmentIndexes?
    /// When the first batch went in, for rolling by age (active segment only).
    var rollingTimestamp: Int64?

    init(baseOffset: Int64, directory: String, file: FileHandle, size: Int) {
        self.baseOffset = baseOffset
        self.directory = directory
        self.file = file
        self.size = size
    }

    var logPath: String { directory + "/" + LogFileNames.log(baseOffset) }
    var offsetIndexPath: String { directory + "/" + LogFileNames.offsetIndex(baseOffset) }
    var timeIndexPath: String { directory + "/" + LogFileNames.timeIndex(baseOffset) }

    /// A new empty segment file (an old file of the same name is emptied).
    static func create(directory: String, baseOffset: Int64) throws -> LogSegment {
        let file = try FileHandle.open(directory + "/" + LogFileNames.log(baseOffset), create: true)
        // Truncate only a leftover: ext4 flushes a truncated file on close (auto_da_alloc),
        // which would turn every segment close into a synchronous write-back.
        if try file.size() > 0 { try file.truncate(to: 0) }
        let segment = LogSegment(baseOffset: baseOffset, directory: directory, file: file, size: 0)
        segment.indexes = SegmentIndexes()
        return segment
    }

    /// Writes both index files (not synced; `syncIndexFiles` does that).
    func writeIndexFiles() throws {
        guard let indexes else { return }
        for (path, bytes) in [(offsetIndexPath, indexes.offsetIndex.serialized()), (timeIndexPath, indexes.timeIndex.serialized())] {
            let handle = try FileHandle.open(path, create: true)
            try handle.truncate(to: 0)
            try handle.write(bytes, at: 0)
        }
    }

    /// fsyncs the index files; one deleted meanwhile by retention is skipped.
    func syncIndexFiles() throws {
        for path in [offsetIndexPath, timeIndexPath] {
            let handle: FileHandle
            do { handle = try FileHandle.open(path) } catch LogError.io(_, _, ENOENT) { continue }
            try handle.sync()
        }
    }

    func removeFiles() throws {
        for path in [logPath, offsetIndexPath, timeIndexPath] { try FileSystem.remove(path) }
    }

    /// The indexes, loading them from their files on first use, or rebuilding them from the
    /// log when a file is missing or fails its sanity check. `nextOffset` is the offset after
    /// this segment.
    func loadedIndexes(nextOffset: Int64, intervalBytes: Int) throws -> SegmentIndexes {
        if let indexes { return indexes }
        let maxRelative = UInt32(clamping: max(0, nextOffset - baseOffset - 1))
        if FileSystem.exists(offsetIndexPath), FileSystem.exists(timeIndexPath),
           let offsetIndex = OffsetIndex(serialized: try FileSystem.readWholeFile(offsetIndexPath), segmentSize: size, maxRelativeOffset: maxRelative),
           let timeIndex = TimeIndex(serialized: try FileSystem.readWholeFile(timeIndexPath), maxRelativeOffset: maxRelative),
           size == 0 || timeIndex.count > 0
        {
            indexes = SegmentIndexes(offsetIndex: offsetIndex, timeIndex: timeIndex, segmentBaseOffset: baseOffset)
        } else {
            var rebuilt = SegmentIndexes()
            var walker = BatchWalker(file: file, end: size)
            var position = 0
            while position < size, let header = try walker.header(at: position),
                  header.baseOffset >= baseOffset, header.baseOffset - baseOffset <= Int64(UInt32.max) {
                rebuilt.add(header, at: position, segmentBaseOffset: baseOffset, intervalBytes: intervalBytes)
                position += header.totalSize
            }
            rebuilt.seal(segmentBaseOffset: baseOffset)
            indexes = rebuilt
            try writeIndexFiles()
        }
        return indexes!
    }

    /// The largest timestamp in the segment, or the file's modification time when no record
    /// carries one (as Kafka falls back).
    func maxTimestamp(nextOffset: Int64, intervalBytes: Int) throws -> Int64 {
        let stamp = try loadedIndexes(nextOffset: nextOffset, intervalBytes: intervalBytes).maxTimestamp
        return stamp >= 0 ? stamp : file.modificationTimeMilliseconds()
    }
}

/// Reads batch headers from a segment file through a small window, so that walking many
/// small batches costs few system calls and walking large ones reads little beyond headers.
struct BatchWalker {
    static let windowBytes = 16 << 10

    let file: FileHandle
    /// Readable end of the segment; nothing at or past it is looked at.
    let end: Int
    private var window: [UInt8] = []
    private var windowStart = 0

    init(file: FileHandle, end: Int) {
        self.file = file
        self.end = end
    }

    /// The header of the batch at `position`, or nil when no whole, well-framed batch
    /// (61-byte header, magic 2, ending by `end`) starts there.
    mutating func header(at position: Int) throws -> RecordBatchHeader? {
        guard position + RecordBatchHeader.size <= end else { return nil }
        if position < windowStart || position + RecordBatchHeader.size > windowStart + window.count {
            window = try file.read(at: position, count: min(Self.windowBytes, end - position))
            windowStart = position
        }
        let header = window.withUnsafeBytes { buffer in
            try? RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: buffer[(position - windowStart)...]))
        }
        guard let header, header.magic == 2, header.totalSize >= RecordBatchHeader.size,
              position + header.totalSize <= end
        else { return nil }
        return header
    }
}
