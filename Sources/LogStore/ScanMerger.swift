import SluiceModel

/// The k-way merge behind `LogStore.scan`: one cursor per candidate block and per head
/// stream, each yielding one stream's entries in (timestamp, origin) order, merged with a
/// binary heap into `LogEntry.precedes` order (or its reverse).
///
/// A block cursor enters the heap undecoded, keyed by its first possible entry (its min
/// timestamp forward, max backward, ahead of real entries with the same key); it is decoded
/// only when it reaches the top. So memory holds the blocks that overlap in time, not the
/// result.
/// Thread-safety: one merger per scan, on the scanning thread; its inputs are immutable.
struct ScanMerger {
    struct BlockCandidate {
        let part: LogPart
        let block: Int
        let rank: Int32
    }

    struct HeadCandidate {
        let entries: [LogEntry]
        let rank: Int32
    }

    /// One source of one stream's entries: an (eventually decoded) block or head entries.
    struct Cursor {
        let rank: Int32
        let labels: Labels
        let part: LogPart?
        let block: Int
        var decoded: DecodedBlock?
        var entries: [LogEntry]
        var position = 0
        var remaining = 0

        var time: Int64 {
            if let decoded { return decoded.timestamps[position] }
            return entries[position].timestamp.nanosecondsSinceEpoch
        }

        var origin: RecordOrigin {
            if let decoded { return decoded.origin(position) }
            return entries[position].origin
        }
    }

    struct HeapItem {
        /// Timestamp, bit-inverted when scanning backward so that smaller always comes first.
        var key: Int64
        var rank: Int32
        /// Not decoded yet: sorts ahead of real entries with equal key and rank.
        var pending: Bool
        var cursor: Int32
    }

    let scan: LogScan
    let labels: [Labels]
    var cursors: [Cursor] = []
    var heap: [HeapItem] = []
    private(set) var blocksDecoded = 0
    private let codec = ZstdColumnCodec()
    private let forward: Bool

    /// `labels[rank]` is the stream of that rank; ranks follow `Labels.sortKey`.
    init(scan: LogScan, labels: [Labels], blocks: [BlockCandidate], heads: [HeadCandidate]) {
        self.scan = scan
        self.labels = labels
        forward = scan.direction == .forward
        for candidate in blocks {
            let info = candidate.part.index.blocks[candidate.block]
            cursors.append(Cursor(rank: candidate.rank, labels: labels[Int(candidate.rank)], part: candidate.part,
                                  block: candidate.block, decoded: nil, entries: []))
            heap.append(HeapItem(key: transformed(forward ? info.minTime : info.maxTime), rank: transformed(candidate.rank),
                                 pending: true, cursor: Int32(cursors.count - 1)))
        }
        for head in heads where !head.entries.isEmpty {
            var cursor = Cursor(rank: head.rank, labels: labels[Int(head.rank)], part: nil, block: 0, decoded: nil,
                                entries: head.entries)
            cursor.remaining = head.entries.count
            cursor.position = forward ? 0 : head.entries.count - 1
            cursors.append(cursor)
            heap.append(HeapItem(key: transformed(cursor.time), rank: transformed(head.rank), pending: false,
                                 cursor: Int32(cursors.count - 1)))
        }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    @inline(__always) private func transformed(_ time: Int64) -> Int64 { forward ? time : ~time }
    @inline(__always) private func transformed(_ rank: Int32) -> Int32 { forward ? rank : ~rank }

    /// Visits entries until the heap runs dry or `visit` returns false.
    mutating func run(_ visit: (ScannedEntry) throws -> Bool) throws {
        let needsLines = scan.needsLines
        let metadataNames = scan.metadataNames
        let step = forward ? 1 : -1
        while !heap.isEmpty {
            let top = heap[0]
            let c = Int(top.cursor)
            if top.pending {
                try open(c)
                if cursors[c].remaining == 0 {
                    removeTop()
                } else {
                    heap[0].key = transformed(cursors[c].time)
                    heap[0].pending = false
                    siftDown(0)
                }
                continue
            }
            let position = cursors[c].position
            let scanned: ScannedEntry
            if let decoded = cursors[c].decoded {
                let length = Int(decoded.lineLengths[position])
                var line: [UInt8] = []
                if needsLines {
                    let start = decoded.lineStarts[position]
                    line = decoded.lines.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[start..<(start + length)])) }
                }
                let entry = LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: decoded.timestamps[position]),
                                     stream: cursors[c].labels, line: line,
                                     metadata: decoded.metadata.isEmpty ? Labels() : decoded.metadata[position],
                                     origin: decoded.origin(position))
                scanned = ScannedEntry(entry: entry, lineLength: length, streamID: Int(cursors[c].rank))
            } else {
                var entry = cursors[c].entries[position]
                let length = entry.line.count
                if !needsLines { entry.line = [] }
                if let metadataNames, !entry.metadata.isEmpty {
                    for pair in entry.metadata where !metadataNames.contains(pair.name) { entry.metadata[pair.name] = nil }
                }
                scanned = ScannedEntry(entry: entry, lineLength: length, streamID: Int(cursors[c].rank))
            }
            guard try visit(scanned) else { return }
            cursors[c].remaining -= 1
            if cursors[c].remaining == 0 {
                removeTop()
            } else {
                cursors[c].position += step
                heap[0].key = transformed(cursors[c].time)
                siftDown(0)
            }
        }
    }

    /// Decodes a cursor's block and positions it on its first entry in the scan's range.
    private mutating func open(_ c: Int) throws {
        guard let part = cursors[c].part else { return }
        blocksDecoded += 1
        let decoded = try DecodedBlock.read(part.index.blocks[cursors[c].block], from: part.file,
                                            needsLines: scan.needsLines, metadataNames: scan.metadataNames,
                                            partMetadataNames: part.index.metadataNames, codec: codec)
        let times = UnsafeBufferPointer(decoded.timestamps)
        let low = Self.lowerBound(times, scan.start.nanosecondsSinceEpoch)
        let high = Self.lowerBound(times, scan.end.nanosecondsSinceEpoch)
        cursors[c].decoded = decoded
        cursors[c].remaining = max(0, high - low)
        cursors[c].position = forward ? low : high - 1
    }

    private static func lowerBound(_ times: UnsafeBufferPointer<Int64>, _ value: Int64) -> Int {
        var low = 0
        var high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            let removed = heap[0].cursor
            heap[0] = last
            siftDown(0)
            release(removed)
        } else {
            release(last.cursor)
        }
    }

    /// Drops a finished cursor's decoded data right away: memory follows the live blocks.
    private mutating func release(_ cursor: Int32) {
        cursors[Int(cursor)].decoded = nil
        cursors[Int(cursor)].entries = []
    }

    @inline(__always)
    private func less(_ a: HeapItem, _ b: HeapItem) -> Bool {
        if a.key != b.key { return a.key < b.key }
        if a.rank != b.rank { return a.rank < b.rank }
        if a.pending != b.pending { return a.pending }
        if a.pending { return false }
        let left = cursors[Int(a.cursor)].origin
        let right = cursors[Int(b.cursor)].origin
        return forward ? left < right : right < left
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        let count = heap.count
        let item = heap[index]
        while true {
            let left = 2 * index + 1
            if left >= count { break }
            var child = left
            if left + 1 < count, less(heap[left + 1], heap[left]) { child = left + 1 }
            if !less(heap[child], item) { break }
            heap[index] = heap[child]
            index = child
        }
        heap[index] = item
    }
}
