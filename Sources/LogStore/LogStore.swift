import CommitLog
import Dispatch
import SluiceModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The indexed log store: an in-memory head plus immutable part files (see `PartFile`,
/// `LogStoreFileNames`), scanned with bloom-filtered, time-bounded block skipping.
///
/// Durability comes from the broker's commit log, which is the write-ahead log: entries in
/// the head are lost on a crash, and `committedOffsets()` tells the processor where to
/// re-consume from; re-appended origins at or below the marks are skipped.
///
/// Thread-safety: every method may be called from any thread. Mutable state sits behind
/// one mutex; flushes are serialized by a second one and encode and write without holding
/// the first; scans take a snapshot (parts + head chunks) under the lock and read without it.
public final class LogStore: LogEntrySource, Sendable {
    /// A broker partition, the unit the high-water marks are kept per: the commit log's own.
    public typealias TopicPartition = CommitLog.TopicPartition

    struct State {
        var head = LogStoreHead()
        /// Heads being written (or whose write failed), still served by scans.
        var flushing: [LogStoreHead] = []
        /// When the current head (or an unflushed `through` advance) began, by the clock.
        var headStarted: Int64?
        var parts: [LogPart] = []
        /// Highest offset per partition in memory, durable, or declared consumed.
        var accepted: [TopicPartition: Int64] = [:]
        var durable: [TopicPartition: Int64] = [:]
        var nextSequence: UInt64 = 1
        var closed = false
        var entriesIndexed = 0
        var duplicatesSkipped = 0
        /// A flush started by `flushInBackgroundIfDue` has not finished yet.
        var backgroundFlushRunning = false
        /// What the last background flush threw, handed to the next caller.
        var backgroundFlushError: (any Error)?
    }

    public let configuration: LogStoreConfiguration
    /// What recovery at open found and did (parts refused, temporary files removed); empty
    /// after a clean start.
    public let recoveryReport: [String]
    let now: @Sendable () -> Timestamp
    let partsDirectory: String
    let state: Mutex<State>
    let flushGate = Mutex(())
    /// Runs background flushes (encoding, compression, fsync) off the appending thread.
    let flushQueue = DispatchQueue(label: "sluice.log-store.flush")
    let blocksScanned = Atomic<Int>(0)
    let blocksSkippedByTime = Atomic<Int>(0)
    let blocksSkippedByStream = Atomic<Int>(0)
    let blocksSkippedByBloom = Atomic<Int>(0)

    /// Opens (or creates) the store in `configuration.directory` and recovers it: leftover
    /// temporary files are deleted, parts whose footer or index do not verify are renamed to
    /// `*.corrupt` and left out, and the marks come from the committed-offsets file and the
    /// parts that verified.
    public init(configuration: LogStoreConfiguration, now: @escaping @Sendable () -> Timestamp) throws {
        self.configuration = configuration
        self.now = now
        partsDirectory = configuration.directory + "/" + LogStoreFileNames.partsDirectory
        try FileSystem.createDirectory(partsDirectory)
        var problems: [String] = []
        var recovered = State()
        var highestSequence: UInt64 = 0
        for name in try FileSystem.contents(of: partsDirectory) {
            let path = partsDirectory + "/" + name
            if name.hasSuffix(LogStoreFileNames.temporarySuffix) {
                try FileSystem.remove(path)
                problems.append("removed unfinished file \(path)")
                continue
            }
            if let sequence = LogStoreFileNames.sequence(ofPart: name.hasSuffix(LogStoreFileNames.corruptSuffix)
                ? String(name.dropLast(LogStoreFileNames.corruptSuffix.count)) : name) {
                highestSequence = max(highestSequence, sequence)
            }
            guard name.hasSuffix(LogStoreFileNames.partSuffix) else { continue }
            do {
                recovered.parts.append(try LogPart.open(directory: partsDirectory, name: name))
            } catch let error as LogStoreError {
                let aside = path + LogStoreFileNames.corruptSuffix
                guard rename(path, aside) == 0 else { throw LogError.io(operation: "rename", path: path, errno: errno) }
                problems.append("refused part \(path) (\(error)); renamed to \(aside)")
            }
        }
        // A compaction that crashed before deleting the parts it merged left them behind.
        let replaced = Set(recovered.parts.flatMap(\.index.replaces))
        for part in recovered.parts where replaced.contains(part.sequence) {
            try FileSystem.remove(partsDirectory + "/" + part.name)
            problems.append("removed \(part.name), already merged into a compacted part")
        }
        recovered.parts.removeAll { replaced.contains($0.sequence) }
        if !problems.isEmpty { try FileSystem.syncDirectory(partsDirectory) }
        recovered.parts.sort { $0.sequence < $1.sequence }
        recovered.nextSequence = highestSequence + 1

        let offsetsPath = configuration.directory + "/" + LogStoreFileNames.committedOffsets
        try FileSystem.remove(offsetsPath + LogStoreFileNames.temporarySuffix)
        if FileSystem.exists(offsetsPath) {
            do {
                recovered.durable = try CommittedOffsetsFile.parse(try FileSystem.readWholeFile(offsetsPath), path: offsetsPath)
            } catch let error as LogStoreError {
                problems.append("ignored \(error); marks come from the parts")
            }
        }
        for part in recovered.parts {
            recovered.durable.merge(part.index.highWater) { max($0, $1) }
        }
        recovered.accepted = recovered.durable
        recoveryReport = problems
        state = Mutex(recovered)
    }

    // MARK: Appending

    /// Appends consumed records' entries (each partition's offsets ascending); `through`
    /// tells, per partition, the last offset the caller has consumed even if it produced no
    /// entry (filtered/dropped records), so the high-water can pass it. Returns how many
    /// entries were new; origins at or below a partition's mark are counted as duplicates.
    @discardableResult
    public func append(_ entries: [LogEntry], through: [TopicPartition: Int64] = [:]) throws -> Int {
        try state.withLock { state in
            guard !state.closed else { throw LogStoreError.closed }
            let wasEmpty = state.head.isEmpty
            var added = 0
            // The mark of the partition seen last, written back when the partition changes.
            var current: (key: TopicPartition, mark: Int64?)?
            for entry in entries {
                if current == nil || current!.key.partition != entry.origin.partition || current!.key.topic != entry.origin.topic {
                    if let current { state.accepted[current.key] = current.mark }
                    let key = TopicPartition(topic: entry.origin.topic, partition: entry.origin.partition)
                    current = (key, state.accepted[key])
                }
                if let mark = current!.mark, entry.origin.offset <= mark {
                    state.duplicatesSkipped += 1
                    continue
                }
                current!.mark = entry.origin.offset
                state.head.append(entry)
                added += 1
            }
            if let current { state.accepted[current.key] = current.mark }
            var advanced = added > 0
            for (key, offset) in through where offset > (state.accepted[key] ?? Int64.min) {
                state.accepted[key] = offset
                advanced = true
            }
            state.entriesIndexed += added
            if advanced, wasEmpty, state.headStarted == nil { state.headStarted = now().nanosecondsSinceEpoch }
            return added
        }
    }

    /// The durable high-water per partition: the last offset whose entry is in a part (or
    /// that was declared consumed before that part was written).
    public func committedOffsets() -> [TopicPartition: Int64] {
        state.withLock { $0.durable }
    }

    /// Flushes when the head has reached `maxHeadBytes` or `maxHeadAgeNanoseconds`; cheap
    /// otherwise, so call it often. Returns whether it flushed.
    @discardableResult
    public func flushIfDue() throws -> Bool {
        let due = state.withLock { state -> Bool in
            guard let started = state.headStarted, !state.closed else { return false }
            return state.head.rawBytes >= configuration.maxHeadBytes
                || now().nanosecondsSinceEpoch &- started >= configuration.maxHeadAgeNanoseconds
        }
        if due { try flush() }
        return due
    }

    /// Like `flushIfDue`, but the flush (encoding, compression, fsync, compaction) runs
    /// on the store's own queue, so the caller goes on appending into a fresh head while
    /// the full one is written; scans serve it meanwhile. Returns whether it started one.
    ///
    /// Back-pressure: when the new head too grows past `maxHeadBytes` before the running
    /// flush ends, this waits for it, so at most two heads' worth of entries are in memory.
    /// A background flush's error is thrown by the next call (the heads stay in memory and
    /// the next flush retries them, as after a failed `flush`).
    @discardableResult
    public func flushInBackgroundIfDue() throws -> Bool {
        enum Decision { case none, start, wait }
        let decision = try state.withLock { state -> Decision in
            if let error = state.backgroundFlushError {
                state.backgroundFlushError = nil
                throw error
            }
            guard let started = state.headStarted, !state.closed else { return .none }
            let due = state.head.rawBytes >= configuration.maxHeadBytes
                || now().nanosecondsSinceEpoch &- started >= configuration.maxHeadAgeNanoseconds
            guard due else { return .none }
            guard !state.backgroundFlushRunning else {
                return state.head.rawBytes >= configuration.maxHeadBytes ? .wait : .none
            }
            state.backgroundFlushRunning = true
            return .start
        }
        switch decision {
        case .none:
            return false
        case .wait:
            waitForBackgroundFlush()
            return try flushInBackgroundIfDue()
        case .start:
            flushQueue.async { [self] in
                let failure: (any Error)?
                do {
                    try flush()
                    failure = nil
                } catch {
                    failure = error
                }
                state.withLock { state in
                    state.backgroundFlushRunning = false
                    if let failure { state.backgroundFlushError = failure }
                }
            }
            return true
        }
    }

    /// Returns once no background flush is running.
    public func waitForBackgroundFlush() {
        flushQueue.sync {}
    }

    /// Writes the head as one part now and makes the marks durable.
    public func flush() throws {
        try flushGate.withLock { _ in
            try flushLocked()
            try compactLocked()
        }
    }

    func flushLocked() throws {
        let (heads, marks, sequence, started) = state.withLock { state in
            if !state.head.isEmpty {
                state.flushing.append(state.head)
                state.head = LogStoreHead()
            }
            let started = state.headStarted
            state.headStarted = nil
            let sequence = state.nextSequence
            state.nextSequence += 1
            return (state.flushing, state.accepted, sequence, started)
        }
        do {
            let part = heads.isEmpty ? nil : try writePart(heads, marks: marks, sequence: sequence)
            let durable = state.withLock { $0.durable }
            if part != nil || marks != durable {
                try FileSystem.writeAtomically(CommittedOffsetsFile.serialized(marks),
                                               to: configuration.directory + "/" + LogStoreFileNames.committedOffsets,
                                               directory: configuration.directory)
            }
            state.withLock { state in
                if let part { state.parts.append(part) }
                state.flushing.removeFirst(heads.count)
                state.durable.merge(marks) { max($0, $1) }
            }
        } catch {
            // The heads stay in `flushing`, served and retried by the next flush.
            state.withLock { state in
                if state.headStarted == nil { state.headStarted = started ?? now().nanosecondsSinceEpoch }
            }
            throw error
        }
    }

    private func writePart(_ heads: [LogStoreHead], marks: [TopicPartition: Int64], sequence: UInt64) throws -> LogPart {
        var streams: [PartWriter.StreamEntries] = []
        var position: [Labels: Int] = [:]
        for head in heads {
            for stream in head.streams {
                if let existing = position[stream.labels] {
                    // After a failed flush the same stream may sit in several heads.
                    streams[existing].chunks += stream.chunks + [stream.open]
                    streams[existing].isSorted = false
                } else {
                    position[stream.labels] = streams.count
                    streams.append(.init(labels: stream.labels, chunks: stream.chunks + [stream.open], isSorted: stream.isSorted))
                }
            }
        }
        let (bytes, index) = try PartWriter.build(streams: streams, highWater: marks,
                                                  blockTargetBytes: configuration.blockTargetBytes,
                                                  level: configuration.compressionLevel,
                                                  expectedBytes: heads.reduce(0) { $0 + $1.rawBytes } / 3)
        return try writePartFile(bytes, index: index, sequence: sequence)
    }

    /// Writes a built part durably: temporary name, fsync, rename, folder fsync.
    func writePartFile(_ bytes: [UInt8], index: PartIndex, sequence: UInt64) throws -> LogPart {
        let name = LogStoreFileNames.part(minTime: index.minTime, sequence: sequence)
        let path = partsDirectory + "/" + name
        let temporary = path + LogStoreFileNames.temporarySuffix
        let file = try FileHandle.open(temporary, create: true)
        try file.write(bytes, at: 0)
        try file.sync()
        guard rename(temporary, path) == 0 else { throw LogError.io(operation: "rename", path: temporary, errno: errno) }
        try FileSystem.syncDirectory(partsDirectory)
        return LogPart(name: name, sequence: sequence, file: file, size: bytes.count, index: index)
    }

    // MARK: Lifecycle and metrics

    /// Counters for `/metrics` (see `LogStoreStatistics`).
    public var statistics: LogStoreStatistics {
        var result = state.withLock { state in
            var result = LogStoreStatistics()
            result.entriesIndexed = state.entriesIndexed
            result.duplicatesSkipped = state.duplicatesSkipped
            for head in [state.head] + state.flushing {
                result.headEntries += head.entryCount
                result.headBytes += head.rawBytes
            }
            result.parts = state.parts.count
            for part in state.parts {
                result.bytesOnDisk += part.size
                result.entriesStored += part.entryCount
                result.rawBytesStored += part.lineBytes
            }
            return result
        }
        result.blocksScanned = blocksScanned.load(ordering: .relaxed)
        result.blocksSkippedByTime = blocksSkippedByTime.load(ordering: .relaxed)
        result.blocksSkippedByStream = blocksSkippedByStream.load(ordering: .relaxed)
        result.blocksSkippedByBloom = blocksSkippedByBloom.load(ordering: .relaxed)
        return result
    }

    /// Flushes the head and refuses further appends. Scans keep working.
    public func close() throws {
        try flushGate.withLock { _ in
            guard !state.withLock({ $0.closed }) else { return }
            try flushLocked()
            state.withLock { $0.closed = true }
        }
    }
}
