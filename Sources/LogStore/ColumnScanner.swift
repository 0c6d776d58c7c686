import Dispatch
import SluiceModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The block decoding behind `LogStore.scanColumns`, on every core.
///
/// The calling thread and up to `parallelism - 1` helpers on the global dispatch queue
/// claim candidate blocks one at a time (an atomic counter) and decode each into a `Chunk`
/// of its entries in `[start, end)`. Helpers queue theirs, at most `queuePerHelper` each
/// (so memory holds a few blocks, not the scan), and the calling thread visits them
/// between blocks of its own: `visit` runs on the calling thread only, one call at a
/// time, while every core decodes. Chunks come in no particular order.
///
/// Thread-safety: `run` once, from one thread. Helpers share the immutable inputs, the
/// atomic counters and the state behind the mutex; `run` returns only when every helper
/// that started has stopped (one that starts later finds the scanner closed).
final class ColumnScanner: Sendable {
    /// One block's (or head chunk's) entries in range, as columns.
    struct Chunk: Sendable {
        var rank: Int32
        var timestamps: [Int64]
        /// Empty unless line lengths were asked for.
        var lineLengths: [Int32]
        /// Empty unless an entry holds one of the scan's metadata names.
        var metadata: [Labels]
    }

    private struct State {
        var ready: [Chunk] = []
        /// Helpers that started and have not stopped.
        var running = 0
        var closed = false
        var failure: (any Error)?
    }

    /// Threads that decode one scan: the machine's cores.
    static let parallelism = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    static let queuePerHelper = 4

    let start: Int64
    let end: Int64
    let lineLengths: Bool
    let metadataNames: Set<String>?
    let blocks: [ScanMerger.BlockCandidate]
    private let next = Atomic<Int>(0)
    private let decoded = Atomic<Int>(0)
    private let state = Mutex(State())
    /// Signalled when a helper queues a chunk or stops.
    private let wake = DispatchSemaphore(value: 0)
    /// One signal per free place in the queue: a helper takes one before it claims a block.
    /// Both semaphores start at 0 (libdispatch refuses to free one below its start value).
    private let room = DispatchSemaphore(value: 0)

    init(start: Int64, end: Int64, lineLengths: Bool, metadataNames: Set<String>?, blocks: [ScanMerger.BlockCandidate]) {
        self.start = start
        self.end = end
        self.lineLengths = lineLengths
        self.metadataNames = metadataNames
        self.blocks = blocks
    }

    var blocksDecoded: Int { decoded.load(ordering: .relaxed) }

    /// Decodes every block and hands each chunk to `visit` (on this thread) until the
    /// blocks run out or `visit` returns false. A helper's error is thrown here.
    func run(_ visit: (Chunk) throws -> Bool) throws {
        let helpers = min(Self.parallelism - 1, blocks.count - 1)
        if helpers > 0 {
            for _ in 0..<helpers * Self.queuePerHelper { room.signal() }
            for _ in 0..<helpers { DispatchQueue.global().async { [self] in help() } }
        }
        defer { if helpers > 0 { close(helpers: helpers) } }
        let codec = ZstdColumnCodec()
        while true {
            let (ready, failure) = state.withLock { state in
                defer { state.ready = [] }
                return (state.ready, state.failure)
            }
            if let failure { throw failure }
            for chunk in ready {
                room.signal()
                guard try visit(chunk) else { return }
            }
            if let chunk = try claimAndDecode(codec) {
                guard try visit(chunk) else { return }
                continue
            }
            // Every block is claimed: wait for those the helpers still decode.
            let finished = state.withLock { $0.ready.isEmpty && $0.running == 0 && $0.failure == nil }
            if finished { return }
            if ready.isEmpty { wake.wait() }
        }
    }

    /// Stops the helpers and waits for those that started.
    private func close(helpers: Int) {
        state.withLock { $0.closed = true }
        for _ in 0..<helpers { room.signal() }
        while state.withLock({ $0.running }) > 0 { wake.wait() }
    }

    private func help() {
        let started = state.withLock { state in
            if !state.closed { state.running += 1 }
            return !state.closed
        }
        guard started else { return }
        defer {
            state.withLock { $0.running -= 1 }
            wake.signal()
        }
        let codec = ZstdColumnCodec()
        while true {
            room.wait()
            guard !state.withLock({ $0.closed }) else { return }
            do {
                guard let chunk = try claimAndDecode(codec) else { return }
                state.withLock { $0.ready.append(chunk) }
                wake.signal()
            } catch {
                state.withLock { if $0.failure == nil { $0.failure = error } }
                return
            }
        }
    }

    private func claimAndDecode(_ codec: ZstdColumnCodec) throws -> Chunk? {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < blocks.count else { return nil }
        decoded.wrappingAdd(1, ordering: .relaxed)
        let candidate = blocks[index]
        let part = candidate.part
        let block = try DecodedBlock.readColumns(part.index.blocks[candidate.block], from: part.file, lineLengths: lineLengths,
                                                 metadataNames: metadataNames,
                                                 format: part.index.format,
                                                 partMetadataNames: part.index.metadataNames, codec: codec)
        return Self.chunk(of: block, rank: candidate.rank, start: start, end: end, lineLengths: lineLengths)
    }

    /// The block's entries in `[start, end)` (a block may straddle the range).
    static func chunk(of block: DecodedBlock, rank: Int32, start: Int64, end: Int64, lineLengths: Bool) -> Chunk {
        let rows = block.rows
        let count = block.count
        // Branch-free: every row is written, and the count advances only for those in range.
        let timestamps = [Int64](unsafeUninitializedCapacity: count) { buffer, kept in
            kept = 0
            for index in 0..<count {
                let time = rows[index].time
                buffer[kept] = time
                kept &+= (time >= start && time < end) ? 1 : 0
            }
        }
        let whole = timestamps.count == count
        func inRange(_ index: Int) -> Bool { rows[index].time >= start && rows[index].time < end }
        var lengths: [Int32] = []
        if lineLengths {
            lengths = [Int32](unsafeUninitializedCapacity: count) { buffer, kept in
                kept = 0
                for index in 0..<count where whole || inRange(index) {
                    buffer[kept] = rows[index].lineLength
                    kept += 1
                }
            }
        }
        var metadata = block.metadata
        if !metadata.isEmpty, !whole {
            metadata = metadata.indices.filter(inRange).map { metadata[$0] }
        }
        return Chunk(rank: rank, timestamps: timestamps, lineLengths: lengths, metadata: metadata)
    }

    /// A head chunk's entries in `[start, end)`; nil when none is. Metadata is handed (as
    /// `scan` hands it: only the names asked for) when an entry carries one of those names.
    static func chunk(of entries: [LogEntry], rank: Int32, start: Int64, end: Int64, lineLengths: Bool,
                      metadataNames: Set<String>?) -> Chunk? {
        var chunk = Chunk(rank: rank, timestamps: [], lineLengths: [], metadata: [])
        var relevant = false
        for entry in entries {
            let time = entry.timestamp.nanosecondsSinceEpoch
            guard time >= start, time < end else { continue }
            chunk.timestamps.append(time)
            if lineLengths { chunk.lineLengths.append(Int32(clamping: entry.line.count)) }
            var metadata = entry.metadata
            if let metadataNames, !metadata.isEmpty {
                for pair in entry.metadata where !metadataNames.contains(pair.name) { metadata[pair.name] = nil }
            }
            relevant = relevant || !metadata.isEmpty
            chunk.metadata.append(metadata)
        }
        guard !chunk.timestamps.isEmpty else { return nil }
        if !relevant { chunk.metadata = [] }
        return chunk
    }
}
