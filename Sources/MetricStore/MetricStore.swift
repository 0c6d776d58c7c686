import CommitLog
import Dispatch
import SluiceModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One sample to append, for a series the store already knows (`seriesID(for:)`).
public struct MetricStoreSample: Sendable, Equatable {
    public var series: MetricSeriesID
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    public var value: Double

    public init(series: MetricSeriesID, timestamp: Int64, value: Double) {
        self.series = series
        self.timestamp = timestamp
        self.value = value
    }
}

/// What one `append` did with its samples.
public struct MetricAppendResult: Sendable, Equatable {
    /// Samples stored (in order or into the out-of-order buffer).
    public var appended = 0
    /// Samples with their series' newest timestamp: not stored.
    public var duplicates = 0
    /// Of `appended`, those older than their series' newest.
    public var outOfOrder = 0
    /// Samples of an append whose records were all at or below the marks: not stored.
    public var replayed = 0

    public init() {}
}

/// The metric store, in the manner of Prometheus's TSDB and Gorilla: a series index with
/// postings, an in-memory head of Gorilla chunks (`XORChunk`) per series, and immutable
/// block files (`MetricBlockWriter`) that the head is flushed into by age and size.
///
/// Durability comes from the broker's commit log, as for `LogStore`: samples in the head
/// are lost on a crash, and `committedOffsets()` tells the processor where to re-consume
/// from. A flush writes the block and then the marks, each durably (fsync, rename).
///
/// Samples: one with its series' newest timestamp is a duplicate (counted, not stored); an
/// older one goes to the series' out-of-order buffer, merged at read and flush time; reads
/// return each series' samples ascending and unique (the first written of equal times).
///
/// Thread-safety: every method may be called from any thread. The index, head and block
/// list sit behind one mutex; flushes and retention are serialized by a second one and
/// encode and write without holding the first; reads take a snapshot (series ids, copies
/// of their head series, the block list) under the lock and decode without it: blocks are
/// immutable.
public final class MetricStore: MetricSampleSource, Sendable {
    /// A block with the store's series ids mapped to its own series positions.
    struct LoadedBlock: Sendable {
        let block: MetricBlock
        let localByID: [UInt32: Int32]
    }

    struct State {
        var index = SeriesIndex()
        var head = MetricStoreHead()
        /// Heads being written (or whose write failed), still served by reads.
        var flushing: [MetricStoreHead] = []
        /// When the current head (or an unflushed mark advance) began, by the clock.
        var headStarted: Int64?
        var blocks: [LoadedBlock] = []
        /// Per series id, its newest in-order sample time (`Int64.min` for none).
        var newest: [Int64] = []
        /// Highest offset per partition in memory, durable, or declared consumed.
        var accepted: [TopicPartition: Int64] = [:]
        var durable: [TopicPartition: Int64] = [:]
        var nextSequence: UInt64 = 1
        var closed = false
        var samplesAppended = 0
        var duplicateSamples = 0
        var outOfOrderSamples = 0
        var replayedAppendsSkipped = 0
        var backgroundFlushRunning = false
        var backgroundFlushError: (any Error)?
    }

    public let configuration: MetricStoreConfiguration
    /// What recovery at open found and did (blocks refused, temporary files removed); empty
    /// after a clean start.
    public let recoveryReport: [String]
    let now: @Sendable () -> Timestamp
    let blocksDirectory: String
    let state: Mutex<State>
    let flushGate = Mutex(())
    let flushQueue = DispatchQueue(label: "sluice.metric-store.flush")

    /// Opens (or creates) the store in `configuration.directory` and recovers it: leftover
    /// temporary files are deleted, blocks whose header, footer or meta do not verify are
    /// renamed to `*.corrupt` and left out (see `recoveryReport`), the index is rebuilt from
    /// the blocks' series, and the marks come from the committed-offsets file and the blocks.
    public init(configuration: MetricStoreConfiguration, now: @escaping @Sendable () -> Timestamp) throws {
        self.configuration = configuration
        self.now = now
        blocksDirectory = configuration.directory + "/" + MetricStoreFileNames.blocksDirectory
        try FileSystem.createDirectory(blocksDirectory)
        var problems: [String] = []
        var recovered = State()
        var highestSequence: UInt64 = 0
        var opened: [(block: MetricBlock, labels: [Labels])] = []
        for name in try FileSystem.contents(of: blocksDirectory) {
            let path = blocksDirectory + "/" + name
            if name.hasSuffix(MetricStoreFileNames.temporarySuffix) {
                try FileSystem.remove(path)
                problems.append("removed unfinished file \(path)")
                continue
            }
            guard let sequence = MetricStoreFileNames.sequence(ofBlock: name) else { continue }
            highestSequence = max(highestSequence, sequence)
            guard name.hasSuffix(MetricStoreFileNames.blockSuffix) else { continue }
            do {
                opened.append(try MetricBlock.open(path: path, name: name, sequence: sequence))
            } catch let error as MetricStoreError {
                let aside = path + MetricStoreFileNames.corruptSuffix
                guard rename(path, aside) == 0 else { throw LogError.io(operation: "rename", path: path, errno: errno) }
                problems.append("refused block \(path) (\(error)); renamed to \(aside)")
            }
        }
        if !problems.isEmpty { try FileSystem.syncDirectory(blocksDirectory) }
        opened.sort { $0.block.sequence < $1.block.sequence }
        for (block, labels) in opened {
            recovered.blocks.append(Self.load(block, labels: labels, into: &recovered))
        }
        recovered.nextSequence = highestSequence + 1

        let offsetsPath = configuration.directory + "/" + MetricStoreFileNames.committedOffsets
        try FileSystem.remove(offsetsPath + MetricStoreFileNames.temporarySuffix)
        if FileSystem.exists(offsetsPath) {
            do {
                recovered.durable = try CommittedOffsetsFile.parse(try FileSystem.readWholeFile(offsetsPath), path: offsetsPath)
            } catch let error as MetricStoreError {
                problems.append("ignored \(error); marks come from the blocks")
            }
        }
        for loaded in recovered.blocks {
            recovered.durable.merge(loaded.block.marks) { max($0, $1) }
        }
        recovered.accepted = recovered.durable
        recoveryReport = problems
        state = Mutex(recovered)
    }

    /// Maps a block's series to ids (adding new series) and raises their newest times.
    private static func load(_ block: MetricBlock, labels: [Labels], into state: inout State) -> LoadedBlock {
        var localByID: [UInt32: Int32] = [:]
        localByID.reserveCapacity(labels.count)
        for (local, set) in labels.enumerated() {
            let id = state.index.insert(set)
            if Int(id) >= state.newest.count { state.newest.append(contentsOf: repeatElement(.min, count: Int(id) + 1 - state.newest.count)) }
            state.newest[Int(id)] = max(state.newest[Int(id)], block.maxTime(series: local))
            localByID[id] = Int32(local)
        }
        return LoadedBlock(block: block, localByID: localByID)
    }

    // MARK: Series and appending

    /// The id of the series `labels` names, adding it when new. Labels with an empty value
    /// are dropped (as Prometheus does); the set must keep a non-empty `__name__`.
    public func seriesID(for labels: Labels) throws -> MetricSeriesID {
        try seriesIDs(for: [labels])[0]
    }

    /// `seriesID(for:)` for many label sets under one lock.
    public func seriesIDs(for labelSets: [Labels]) throws -> [MetricSeriesID] {
        let normalized = try labelSets.map(Self.normalized)
        return state.withLock { state in
            normalized.map { labels in
                let id = state.index.insert(labels)
                if Int(id) >= state.newest.count { state.newest.append(.min) }
                return MetricSeriesID(rawValue: id)
            }
        }
    }

    static func normalized(_ labels: Labels) throws -> Labels {
        var result = labels
        if labels.contains(where: { $0.value.isEmpty }) {
            result = Labels(unsortedPairs: labels.pairs.filter { !$0.value.isEmpty })
        }
        guard let name = result["__name__"], !name.isEmpty else {
            throw MetricStoreError.invalidLabels("no metric name (__name__) in \(labels.pairs.map { "\($0.name)=\($0.value)" })")
        }
        guard !result.contains(where: { $0.name.isEmpty }) else { throw MetricStoreError.invalidLabels("an empty label name") }
        return result
    }

    /// Appends samples; `through` tells, per partition, the last offset the caller has
    /// consumed (the records these samples came from, and any that produced none), so the
    /// marks can pass it. When every partition in a non-empty `through` is already at or
    /// past it, the samples were stored before (a replay) and are skipped. Other callers
    /// (recording rules, self-metrics) pass `[:]`.
    @discardableResult
    public func append(_ samples: [MetricStoreSample], through: [TopicPartition: Int64] = [:]) throws -> MetricAppendResult {
        try state.withLock { state in
            guard !state.closed else { throw MetricStoreError.closed }
            var result = MetricAppendResult()
            if !samples.isEmpty, !through.isEmpty,
               through.allSatisfy({ $0.value <= state.accepted[$0.key] ?? Int64.min }) {
                state.replayedAppendsSkipped += 1
                result.replayed = samples.count
                return result
            }
            let known = UInt32(state.newest.count)
            if let unknown = samples.first(where: { $0.series.rawValue >= known }) {
                throw MetricStoreError.invalidLabels("unknown series id \(unknown.series.rawValue)")
            }
            let wasEmpty = state.head.isEmpty
            state.newest.withUnsafeMutableBufferPointer { newest in
                for sample in samples {
                    let id = sample.series.rawValue
                    let latest = newest[Int(id)]
                    if sample.timestamp > latest {
                        state.head.appendInOrder(id, sample.timestamp, sample.value)
                        newest[Int(id)] = sample.timestamp
                        result.appended += 1
                    } else if sample.timestamp == latest {
                        result.duplicates += 1
                    } else {
                        state.head.appendOutOfOrder(id, sample.timestamp, sample.value)
                        result.appended += 1
                        result.outOfOrder += 1
                    }
                }
            }
            var advanced = result.appended > 0
            for (key, offset) in through where offset > (state.accepted[key] ?? Int64.min) {
                state.accepted[key] = offset
                advanced = true
            }
            state.samplesAppended += result.appended
            state.duplicateSamples += result.duplicates
            state.outOfOrderSamples += result.outOfOrder
            if advanced, wasEmpty, state.headStarted == nil { state.headStarted = now().nanosecondsSinceEpoch }
            return result
        }
    }

    /// Appends samples given with their label sets (the API for code outside the topic
    /// path; the processor appends by id).
    @discardableResult
    public func append(_ series: [MetricSeriesSamples], through: [TopicPartition: Int64] = [:]) throws -> MetricAppendResult {
        let ids = try seriesIDs(for: series.map(\.labels))
        var samples: [MetricStoreSample] = []
        samples.reserveCapacity(series.reduce(0) { $0 + $1.timestamps.count })
        for (id, entry) in zip(ids, series) {
            for (time, value) in zip(entry.timestamps, entry.values) {
                samples.append(MetricStoreSample(series: id, timestamp: time, value: value))
            }
        }
        return try append(samples, through: through)
    }

    /// The durable high-water per partition: the last offset whose samples are in a block
    /// (or that was declared consumed before that block was written).
    public func committedOffsets() -> [TopicPartition: Int64] {
        state.withLock { $0.durable }
    }

    /// The high-water per partition including what is only in memory: records at or below
    /// it are already in the store.
    public func acceptedOffsets() -> [TopicPartition: Int64] {
        state.withLock { $0.accepted }
    }

    // MARK: Flushing

    private func isDue(_ state: State) -> Bool {
        guard let started = state.headStarted, !state.closed else { return false }
        return state.head.sampleCount >= configuration.maxHeadSamples
            || now().nanosecondsSinceEpoch &- started >= configuration.maxHeadAgeNanoseconds
    }

    /// Flushes when the head has reached `maxHeadSamples` or `maxHeadAgeNanoseconds`; cheap
    /// otherwise, so call it often. Returns whether it flushed.
    @discardableResult
    public func flushIfDue() throws -> Bool {
        let due = state.withLock { isDue($0) }
        if due { try flush() }
        return due
    }

    /// Like `flushIfDue`, but the flush runs on the store's own queue while the caller goes
    /// on appending into a fresh head. When the new head too is full before that flush ends,
    /// this waits for it (at most two heads in memory). A background flush's error is
    /// thrown by the next call; its head stays in memory and the next flush retries it.
    @discardableResult
    public func flushInBackgroundIfDue() throws -> Bool {
        enum Decision { case none, start, wait }
        let decision = try state.withLock { state -> Decision in
            if let error = state.backgroundFlushError {
                state.backgroundFlushError = nil
                throw error
            }
            guard isDue(state) else { return .none }
            guard !state.backgroundFlushRunning else {
                return state.head.sampleCount >= configuration.maxHeadSamples ? .wait : .none
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
                var failure: (any Error)?
                do { try flush() } catch { failure = error }
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

    /// Writes the head as one block now and makes the marks durable.
    public func flush() throws {
        try flushGate.withLock { _ in try flushLocked() }
    }

    func flushLocked() throws {
        let (heads, marks, sequence, started, labels) = state.withLock { state in
            if !state.head.isEmpty {
                state.flushing.append(state.head)
                state.head = MetricStoreHead()
            }
            let started = state.headStarted
            state.headStarted = nil
            let sequence = state.nextSequence
            state.nextSequence += 1
            // The label sets of the series being written (ids are never reassigned).
            var labels: [UInt32: Labels] = [:]
            for head in state.flushing {
                for series in head.series where labels[series.id] == nil { labels[series.id] = state.index.labels[Int(series.id)] }
            }
            return (state.flushing, state.accepted, sequence, started, labels)
        }
        do {
            var block: LoadedBlock?
            if !heads.isEmpty {
                block = try writeBlock(heads, labels: labels, marks: marks, sequence: sequence)
            }
            let durable = state.withLock { $0.durable }
            if block != nil || marks != durable {
                try FileSystem.writeAtomically(CommittedOffsetsFile.serialized(marks),
                                               to: configuration.directory + "/" + MetricStoreFileNames.committedOffsets,
                                               directory: configuration.directory)
            }
            state.withLock { state in
                if let block { state.blocks.append(block) }
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

    private func writeBlock(_ heads: [MetricStoreHead], labels: [UInt32: Labels], marks: [TopicPartition: Int64],
                            sequence: UInt64) throws -> LoadedBlock {
        // Each series once, in id order (a host's series are neighbours: zstd finds their
        // shared timestamp streams).
        var bySeries: [UInt32: [MetricStoreHead.Series]] = [:]
        for head in heads {
            for series in head.series { bySeries[series.id, default: []].append(series) }
        }
        var written: [MetricBlockWriter.Series] = []
        var ids: [UInt32] = []
        written.reserveCapacity(bySeries.count)
        for id in bySeries.keys.sorted() {
            guard let parts = bySeries[id], let set = labels[id] else { continue }
            written.append(MetricBlockWriter.Series(labels: set, chunks: try Self.chunks(of: parts)))
            ids.append(id)
        }
        let bytes = try MetricBlockWriter.build(written, marks: marks, level: configuration.compressionLevel,
                                                frameTargetBytes: configuration.frameTargetBytes)
        let minTime = written.lazy.flatMap(\.chunks).map(\.minTime).min() ?? 0
        let name = MetricStoreFileNames.block(minTime: minTime, sequence: sequence)
        let path = blocksDirectory + "/" + name
        let temporary = path + MetricStoreFileNames.temporarySuffix
        let file = try FileHandle.open(temporary, create: true)
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
        try file.sync()
        guard rename(temporary, path) == 0 else { throw LogError.io(operation: "rename", path: temporary, errno: errno) }
        try FileSystem.syncDirectory(blocksDirectory)
        // Read back through the verifying reader: what queries see is what is on disk.
        let (block, _) = try MetricBlock.open(path: path, name: name, sequence: sequence)
        var localByID: [UInt32: Int32] = [:]
        localByID.reserveCapacity(ids.count)
        for (local, id) in ids.enumerated() { localByID[id] = Int32(local) }
        return LoadedBlock(block: block, localByID: localByID)
    }

    /// A series' chunks for a block: the head's own when they are all in order, otherwise
    /// everything decoded, merged (first written wins) and encoded again.
    static func chunks(of parts: [MetricStoreHead.Series]) throws -> [XORChunk] {
        if parts.count == 1, parts[0].outOfOrderTimes.isEmpty {
            return parts[0].sealed + (parts[0].open.count > 0 ? [parts[0].open.chunk] : [])
        }
        var times: [Int64] = [], values: [Double] = []
        for part in parts { _ = try part.collect(from: .min, through: .max, into: &times, &values) }
        sortAndDeduplicate(&times, &values)
        return encodeChunks(times, values)
    }

    /// Ascending unique samples cut into chunks as the head cuts them.
    static func encodeChunks(_ times: [Int64], _ values: [Double]) -> [XORChunk] {
        var chunks: [XORChunk] = []
        var encoder = XORChunkEncoder()
        for (time, value) in zip(times, values) {
            if encoder.count >= XORChunk.targetSamples
                || (encoder.count > 0 && time &- encoder.minTime >= XORChunk.maxSpanMilliseconds) {
                chunks.append(encoder.chunk)
                encoder = XORChunkEncoder()
            }
            encoder.append(time, value)
        }
        if encoder.count > 0 { chunks.append(encoder.chunk) }
        return chunks
    }

    // MARK: Lifecycle and metrics

    /// Counters for `/metrics` (see `MetricStoreStatistics`).
    public var statistics: MetricStoreStatistics {
        state.withLock { state in
            var result = MetricStoreStatistics()
            result.series = state.index.count
            result.samplesAppended = state.samplesAppended
            result.duplicateSamples = state.duplicateSamples
            result.outOfOrderSamples = state.outOfOrderSamples
            result.replayedAppendsSkipped = state.replayedAppendsSkipped
            result.headSamples = state.flushing.reduce(state.head.sampleCount) { $0 + $1.sampleCount }
            result.blocks = state.blocks.count
            for loaded in state.blocks {
                result.bytesOnDisk += loaded.block.size
                result.samplesOnDisk += loaded.block.sampleCount
            }
            return result
        }
    }

    /// Flushes the head and refuses further appends. Reads keep working.
    public func close() throws {
        waitForBackgroundFlush()
        try flushGate.withLock { _ in
            guard !state.withLock({ $0.closed }) else { return }
            try flushLocked()
            state.withLock { $0.closed = true }
        }
    }
}
