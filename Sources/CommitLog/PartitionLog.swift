import KafkaWire
import Synchronization

/// The commit log of one topic partition: an append-only sequence of RecordBatch v2
/// batches with dense, monotonic offsets, split into segments (see `LogSegment` for the
/// file layout and `LogFileNames` for the folder).
///
/// Concurrency: one writer per partition and any number of concurrent readers. Appends,
/// rolls and retention are serialized by an internal lock; readers hold it only to find
/// where to read and then read the file without it, so reads do not block appends. `flush`
/// runs its fsyncs outside that lock, so appends continue while a group commit is on disk.
public final class PartitionLog: Sendable {
    /// PartitionLeaderEpoch written into every stored batch: one node, one epoch. Recovery
    /// checks it, so that damage to this field (outside the CRC) is detected too.
    public static let storedLeaderEpoch: Int32 = 0

    public let topicPartition: TopicPartition
    public let directory: String
    public let config: LogConfig
    private let clock: LogClock
    private let state: Mutex<State>
    /// Serializes flushes with one another (not with appends) so that two callers never
    /// rewrite the recovery-point file at once.
    private let flushing = Mutex<Void>(())

    private struct State {
        /// Sorted by base offset; the last one is the active segment. Never empty.
        var segments: [LogSegment]
        var logEndOffset: Int64
        /// Every offset below this has been fsynced.
        var flushedOffset: Int64
        /// Persisted: every segment wholly below this is fsynced along with its indexes.
        var recoveryPoint: Int64
        var unsyncedSealed: [LogSegment]
        var directoryNeedsSync = false
        /// Set when the log was closed or a write failed half-way; appends then refuse.
        var unavailable: String?

        var active: LogSegment { segments[segments.count - 1] }
    }

    /// What recovery cut off when the log was opened (empty after a clean shutdown).
    public let recoveryReport: [String]

    /// Opens (creating if needed) the partition folder `directory`, recovering it if the
    /// last close was not clean.
    public init(directory: String, topicPartition: TopicPartition, config: LogConfig = LogConfig(), clock: LogClock = .system) throws {
        let loaded = try LogLoader.load(directory: directory, config: config, clock: clock)
        let end = LogLoader.nextOffset(of: loaded.segments.last!, config: config)
        self.topicPartition = topicPartition
        self.directory = directory
        self.config = config
        self.clock = clock
        self.recoveryReport = loaded.truncations
        self.state = Mutex(State(
            segments: loaded.segments, logEndOffset: end, flushedOffset: end,
            recoveryPoint: loaded.recoveryPoint, unsyncedSealed: loaded.unsyncedSealed,
            directoryNeedsSync: true))
    }

    // MARK: Offsets and sizes

    /// The first offset still in the log.
    public var logStartOffset: Int64 { state.withLock { $0.segments[0].baseOffset } }
    /// The offset the next appended record gets.
    public var logEndOffset: Int64 { state.withLock { $0.logEndOffset } }
    /// Every offset below this is on disk (fsynced).
    public var flushedOffset: Int64 { state.withLock { $0.flushedOffset } }
    /// Total bytes of all segments.
    public var sizeInBytes: Int64 { state.withLock { $0.segments.reduce(0) { $0 + Int64($1.size) } } }
    public var segmentCount: Int { state.withLock { $0.segments.count } }
    /// Base offsets of the segments, oldest first.
    public var segmentBaseOffsets: [Int64] { state.withLock { $0.segments.map(\.baseOffset) } }

    // MARK: Append

    /// Appends a validated batch and returns its base offset. Only BaseOffset and
    /// PartitionLeaderEpoch are rewritten (both outside the CRC); the rest is stored verbatim.
    /// Durable only after a `flush` that returns an offset past it.
    @discardableResult
    public func append(_ batch: RecordBatch) throws -> Int64 {
        let header = batch.header
        let size = batch.bytes.count
        guard size <= config.segmentBytes else {
            throw LogError.batchRejected("batch of \(size) bytes exceeds the segment size \(config.segmentBytes)")
        }
        return try state.withLock { (state) throws -> Int64 in
            if let why = state.unavailable { throw LogError.unavailable(why) }
            let now = clock.now()
            let baseOffset = state.logEndOffset
            if try shouldRoll(state.active, adding: header, at: baseOffset, size: size, now: now) {
                try roll(&state)
            }
            let active = state.active
            var prefix: [UInt8] = []
            prefix.reserveCapacity(16)
            prefix.appendBigEndian(baseOffset)
            prefix.appendBigEndian(header.length)
            prefix.appendBigEndian(Self.storedLeaderEpoch)
            do {
                try prefix.withUnsafeBytes { (head) throws in
                    try batch.bytes.withUnsafeBytes { (body) throws in
                        try active.file.write([head, UnsafeRawBufferPointer(rebasing: body[16...])], at: active.size)
                    }
                }
            } catch {
                // Take back a partial write; if even that fails the tail is unknown.
                do { try active.file.truncate(to: active.size) } catch {
                    state.unavailable = "a failed write could not be undone: \(error)"
                }
                throw error
            }
            var stored = header
            stored.baseOffset = baseOffset
            active.indexes!.add(stored, at: active.size, segmentBaseOffset: active.baseOffset, intervalBytes: config.indexIntervalBytes)
            if active.rollingTimestamp == nil { active.rollingTimestamp = now }
            active.size += size
            state.logEndOffset = stored.nextOffset
            return baseOffset
        }
    }

    private func shouldRoll(_ active: LogSegment, adding header: RecordBatchHeader, at baseOffset: Int64, size: Int, now: Int64) throws -> Bool {
        guard active.size > 0 else { return false }
        if active.size + size > config.segmentBytes { return true }
        if let since = active.rollingTimestamp, now - since >= config.segmentMilliseconds { return true }
        return baseOffset + Int64(header.lastOffsetDelta) - active.baseOffset > Int64(UInt32.max)
    }

    /// Seals the active segment (its index files written, fsynced by the next flush) and
    /// starts a new one at the log end.
    private func roll(_ state: inout State) throws {
        let sealed = state.active
        sealed.indexes!.seal(segmentBaseOffset: sealed.baseOffset)
        try sealed.writeIndexFiles()
        let next = try LogSegment.create(directory: directory, baseOffset: state.logEndOffset)
        state.segments.append(next)
        state.unsyncedSealed.append(sealed)
        state.directoryNeedsSync = true
    }

    // MARK: Flush

    /// Makes everything appended so far durable (fdatasync of the active segment, and of any
    /// segment sealed since the last flush with its indexes) and returns the offset below
    /// which all records are on disk. Appends proceed meanwhile; a caller batching many
    /// producers' acknowledgements behind one call gets group commit.
    @discardableResult
    public func flush() throws -> Int64 {
        try flushing.withLock { (_) throws -> Int64 in try flushHoldingFlushLock() }
    }

    private func flushHoldingFlushLock() throws -> Int64 {
        let (target, active, sealed, syncDirectory) = state.withLock { state in
            let work = (state.logEndOffset, state.active, state.unsyncedSealed, state.directoryNeedsSync)
            state.directoryNeedsSync = false
            return work
        }
        do {
            for segment in sealed {
                try segment.file.sync()
                try segment.syncIndexFiles()
            }
            try active.file.sync()
            if syncDirectory { try FileSystem.syncDirectory(directory) }
        } catch {
            // After a failed fsync the page cache can no longer be trusted to reach disk.
            state.withLock { $0.unavailable = "fsync failed: \(error)" }
            throw error
        }
        let newRecoveryPoint: Int64? = state.withLock { state in
            state.flushedOffset = max(state.flushedOffset, target)
            state.unsyncedSealed.removeAll { segment in sealed.contains { $0 === segment } }
            let point = state.unsyncedSealed.first?.baseOffset ?? active.baseOffset
            guard point > state.recoveryPoint else { return nil }
            state.recoveryPoint = point
            return point
        }
        // The atomic write fsyncs the folder, so retention's unlinks become durable no later
        // than a recovery point that passes the segments they removed.
        if let newRecoveryPoint { try LogLoader.writeRecoveryPoint(newRecoveryPoint, directory: directory) }
        return target
    }

    // MARK: Read

    /// Whole batches starting with the one that contains `offset`, up to `maxBytes` — but
    /// always at least one whole batch when there is one, however large. Reads come from one
    /// segment; a caller wanting more reads again from the returned end.
    public func read(from offset: Int64, maxBytes: Int) throws -> LogReadResult {
        var offset = offset
        while true {
            let located = try state.withLock { (state) throws -> (LogSegment, Int, Int, Int64, Int64)? in
                let start = state.segments[0].baseOffset
                guard offset >= start, offset <= state.logEndOffset else {
                    throw LogError.offsetOutOfRange(requested: offset, logStart: start, logEnd: state.logEndOffset)
                }
                guard offset < state.logEndOffset else { return nil }
                let index = Self.segmentIndex(containing: offset, in: state.segments)
                let segment = state.segments[index]
                let next = index + 1 < state.segments.count ? state.segments[index + 1].baseOffset : state.logEndOffset
                let indexes = try segment.loadedIndexes(nextOffset: next, intervalBytes: config.indexIntervalBytes)
                let position = indexes.offsetIndex.floorPosition(for: UInt32(clamping: offset - segment.baseOffset))
                return (segment, position, segment.size, start, state.logEndOffset)
            }
            guard let (segment, indexedPosition, end, start, logEnd) = located else {
                return LogReadResult(bytes: [], logStartOffset: logStartOffset, logEndOffset: offset)
            }
            var walker = BatchWalker(file: segment.file, end: end)
            var position = indexedPosition
            while let header = try walker.header(at: position), header.lastOffset < offset {
                position += header.totalSize
            }
            guard position < end else {
                // The offset lies past this segment's last batch: continue in the next one.
                offset = max(offset, segmentEndOffset(segment))
                continue
            }
            var stop = position
            while let header = try walker.header(at: stop) {
                if stop > position && stop - position + header.totalSize > maxBytes { break }
                stop += header.totalSize
            }
            let bytes = try segment.file.read(at: position, count: stop - position)
            return LogReadResult(bytes: bytes, logStartOffset: start, logEndOffset: logEnd)
        }
    }

    private func segmentEndOffset(_ segment: LogSegment) -> Int64 {
        state.withLock { state in
            guard let index = state.segments.firstIndex(where: { $0 === segment }), index + 1 < state.segments.count
            else { return state.logEndOffset }
            return state.segments[index + 1].baseOffset
        }
    }

    private static func segmentIndex(containing offset: Int64, in segments: [LogSegment]) -> Int {
        max(0, segments.partitioningIndex { $0.baseOffset > offset } - 1)
    }

    // MARK: Offsets for times

    /// The offset and timestamp of the first record (in offset order) whose timestamp is
    /// ≥ `timestamp`, or nil if there is none. Reads and decompresses only the batch that
    /// holds it, found through the time and offset indexes.
    public func offset(forTimestamp timestamp: Int64) throws -> (offset: Int64, timestamp: Int64)? {
        let candidates = try state.withLock { (state) throws -> [(LogSegment, Int, Int)] in
            var found: [(LogSegment, Int, Int)] = []
            for (index, segment) in state.segments.enumerated() {
                let next = index + 1 < state.segments.count ? state.segments[index + 1].baseOffset : state.logEndOffset
                let indexes = try segment.loadedIndexes(nextOffset: next, intervalBytes: config.indexIntervalBytes)
                guard indexes.maxTimestamp >= timestamp else { continue }
                let relative = indexes.timeIndex.floorRelativeOffset(before: timestamp)
                found.append((segment, indexes.offsetIndex.floorPosition(for: relative), segment.size))
            }
            return found
        }
        for (segment, startPosition, end) in candidates {
            var walker = BatchWalker(file: segment.file, end: end)
            var position = startPosition
            while let header = try walker.header(at: position) {
                defer { position += header.totalSize }
                guard header.maxTimestamp >= timestamp else { continue }
                let bytes = try segment.file.read(at: position, count: header.totalSize)
                // A batch that cannot be decoded (a codec error, or over the size limit) answers
                // at batch granularity, as brokers that never decompress do.
                guard let records = try? bytes.withUnsafeBytes({ try RecordBatch.decodeRecords($0, header: header) }) else {
                    return (header.baseOffset, header.maxTimestamp)
                }
                if let record = records.first(where: { $0.timestamp >= timestamp }) {
                    return (record.offset, record.timestamp)
                }
            }
        }
        return nil
    }

    // MARK: Retention

    /// Deletes the oldest sealed segments while they are older than the retention time or
    /// the log holds more than the retention size without them. The active segment stays.
    /// Returns how many segments were deleted.
    @discardableResult
    public func enforceRetention() throws -> Int {
        let now = clock.now()
        let doomed = try state.withLock { (state) throws -> [LogSegment] in
            var total = state.segments.reduce(Int64(0)) { $0 + Int64($1.size) }
            var doomed: [LogSegment] = []
            for (index, segment) in state.segments.enumerated().dropLast() {
                let next = state.segments[index + 1].baseOffset
                let expiredBySize = config.retentionBytes >= 0 && total - Int64(segment.size) >= config.retentionBytes
                let expiredByTime = try config.retentionMilliseconds >= 0
                    && now - segment.maxTimestamp(nextOffset: next, intervalBytes: config.indexIntervalBytes) > config.retentionMilliseconds
                guard expiredBySize || expiredByTime else { break }
                doomed.append(segment)
                total -= Int64(segment.size)
            }
            // Unlinked under the lock, so that no flush can move the recovery point past a
            // segment whose files still exist. Readers still holding a segment keep reading
            // it: its descriptor outlives the name.
            for segment in doomed { try segment.removeFiles() }
            state.segments.removeFirst(doomed.count)
            state.unsyncedSealed.removeAll { segment in doomed.contains { $0 === segment } }
            if !doomed.isEmpty { state.directoryNeedsSync = true }
            return doomed
        }
        return doomed.count
    }

    // MARK: Close

    /// Flushes everything, writes the active segment's indexes and the recovery point at the
    /// log end, and leaves a clean-shutdown marker so that the next open skips recovery.
    public func close() throws {
        try flushing.withLock { (_) throws in
            // Refuse appends first, so that everything the marker vouches for gets synced.
            let active = try state.withLock { (state) throws -> LogSegment in
                if let why = state.unavailable { throw LogError.unavailable(why) }
                state.unavailable = "the log is closed"
                return state.active
            }
            let end = try flushHoldingFlushLock()
            // Sealing the indexes records the newest timestamp for the reopened log.
            active.indexes!.seal(segmentBaseOffset: active.baseOffset)
            try active.writeIndexFiles()
            try active.syncIndexFiles()
            try LogLoader.writeRecoveryPoint(end, directory: directory)
            try FileSystem.writeAtomically([], to: directory + "/" + LogFileNames.cleanShutdown, directory: directory)
        }
    }
}

/// Whole batches read from a partition, with the bounds of the log at that moment.
public struct LogReadResult: Sendable {
    /// Zero or more complete RecordBatch v2 batches, back to back.
    public var bytes: [UInt8]
    public var logStartOffset: Int64
    public var logEndOffset: Int64
}
