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

    final class Cursor {
        let rank: Int32
        let labels: Labels
        let part: LogPart?
        let block: Int
        var decoded = DecodedBlock()
        var entries: [LogEntry]
        var position = 0
        var remaining = 0

        init(rank: Int32, labels: Labels, part: LogPart?, block: Int, entries: [LogEntry]) {
            self.rank = rank
            self.labels = labels
            self.part = part
            self.block = block
            self.entries = entries
        }

        var time: Int64 {
            part == nil ? entries[position].timestamp.nanosecondsSinceEpoch : decoded.timestamps[position]
        }

        var origin: RecordOrigin { part == nil ? entries[position].origin : decoded.origin(position) }
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
    private let forward: Bool

    /// `labels[rank]` is the stream of that rank; ranks follow `Labels.sortKey`.
    init(scan: LogScan, labels: [Labels], blocks: [BlockCandidate], heads: [HeadCandidate]) {
        self.scan = scan
        self.labels = labels
        forward = scan.direction == .forward
        for candidate in blocks {
            let info = candidate.part.index.blocks[candidate.block]
            cursors.append(Cursor(rank: candidate.rank, labels: labels[Int(candidate.rank)], part: candidate.part,
                                  block: candidate.block, entries: []))
            heap.append(HeapItem(key: transformed(forward ? info.minTime : info.maxTime), rank: transformed(candidate.rank),
                                 pending: true, cursor: Int32(cursors.count - 1)))
        }
        for head in heads where !head.entries.isEmpty {
            let cursor = Cursor(rank: head.rank, labels: labels[Int(head.rank)], part: nil, block: 0, entries: head.entries)
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
        while let top = heap.first {
            let cursor = cursors[Int(top.cursor)]
            if top.pending {
                try open(cursor)
                if cursor.remaining == 0 {
                    removeTop()
                } else {
                    heap[0].key = transformed(cursor.time)
                    heap[0].pending = false
                    siftDown(0)
                }
                continue
            }
            let scanned: ScannedEntry
            let position = cursor.position
            if cursor.part == nil {
                var entry = cursor.entries[position]
                let length = entry.line.count
                if !needsLines { entry.line = [] }
                if let metadataNames, !entry.metadata.isEmpty {
                    for pair in entry.metadata where !metadataNames.contains(pair.name) { entry.metadata[pair.name] = nil }
                }
                scanned = ScannedEntry(entry: entry, lineLength: length, streamID: Int(cursor.rank))
            } else {
                // Field by field: copying `decoded` whole would retain each of its arrays.
                let length = Int(cursor.decoded.lineLengths[position])
                let line: [UInt8]
                if needsLines {
                    let start = cursor.decoded.lineStarts[position]
                    line = Array(cursor.decoded.lines[start..<(start + length)])
                } else {
                    line = []
                }
                let entry = LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: cursor.decoded.timestamps[position]),
                                     stream: cursor.labels, line: line,
                                     metadata: cursor.decoded.metadata.isEmpty ? Labels() : cursor.decoded.metadata[position],
                                     origin: cursor.decoded.origin(position))
                scanned = ScannedEntry(entry: entry, lineLength: length, streamID: Int(cursor.rank))
            }
            guard try visit(scanned) else { return }
            cursor.remaining -= 1
            if cursor.remaining == 0 {
                removeTop()
            } else {
                cursor.position += step
                heap[0].key = transformed(cursor.time)
                siftDown(0)
            }
        }
    }

    /// Decodes a cursor's block and positions it on its first entry in the scan's range.
    private mutating func open(_ cursor: Cursor) throws {
        guard let part = cursor.part else { return }
        blocksDecoded += 1
        cursor.decoded = try DecodedBlock.read(part.index.blocks[cursor.block], from: part.file,
                                               needsLines: scan.needsLines, metadataNames: scan.metadataNames,
                                               partMetadataNames: part.index.metadataNames)
        let times = cursor.decoded.timestamps
        let low = Self.lowerBound(times, scan.start.nanosecondsSinceEpoch)
        let high = Self.lowerBound(times, scan.end.nanosecondsSinceEpoch)
        cursor.remaining = max(0, high - low)
        cursor.position = forward ? low : high - 1
    }

    private static func lowerBound(_ times: [Int64], _ value: Int64) -> Int {
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
        cursors[Int(cursor)].decoded = DecodedBlock()
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
