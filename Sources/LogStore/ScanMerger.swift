import SluiceModel

/// The k-way merge behind `LogStore.scan`: one cursor per candidate block and per head
/// stream, each yielding one stream's entries in (timestamp, origin) order, merged with a
/// binary heap into `LogEntry.precedes` order (or its reverse).
///
/// Blocks wait outside the heap, sorted by their first possible entry (min timestamp
/// forward, max backward), and enter it undecoded when the merge reaches that key, sorting
/// ahead of real entries with the same key; a block is decoded when it reaches the top. So
/// the heap holds the blocks that overlap in time (about one per stream), not every block
/// of the scan, and memory holds those blocks, not the result. The loop runs over unsafe buffers of cursors and heap items: per entry it costs
/// a few loads, the heap's comparisons and building the entry, with no copies or retains
/// beyond the entry's own.
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
        /// Owns the buffers `rows` and `lineStarts` point into.
        var decoded: DecodedBlock?
        var rows: UnsafePointer<DecodedRow>?
        var lineStarts: UnsafePointer<Int>?
        var topics: [String] = []
        var hasMetadata = false
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

        @inline(__always)
        var time: Int64 {
            if let rows { return rows[position].time }
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
    private var cursors: [Cursor] = []
    private var heap: [HeapItem] = []
    /// Undecoded blocks in the order they enter the heap.
    private var waiting: [HeapItem] = []
    private(set) var blocksDecoded = 0
    private let codec = ZstdColumnCodec()
    private let forward: Bool

    /// `labels[rank]` is the stream of that rank; ranks follow `Labels.sortKey`.
    init(scan: LogScan, labels: [Labels], blocks: [BlockCandidate], heads: [HeadCandidate]) {
        self.scan = scan
        let forward = scan.direction == .forward
        self.forward = forward
        for candidate in blocks {
            let info = candidate.part.index.blocks[candidate.block]
            cursors.append(Cursor(rank: candidate.rank, labels: labels[Int(candidate.rank)], part: candidate.part,
                                  block: candidate.block, entries: []))
            waiting.append(HeapItem(key: Self.transformed(forward ? info.minTime : info.maxTime, forward),
                                    rank: Self.transformed(candidate.rank, forward), pending: true,
                                    cursor: Int32(cursors.count - 1)))
        }
        for head in heads where !head.entries.isEmpty {
            var cursor = Cursor(rank: head.rank, labels: labels[Int(head.rank)], part: nil, block: 0, entries: head.entries)
            cursor.remaining = head.entries.count
            cursor.position = forward ? 0 : head.entries.count - 1
            cursors.append(cursor)
            heap.append(HeapItem(key: Self.transformed(cursor.time, forward), rank: Self.transformed(head.rank, forward),
                                 pending: false, cursor: Int32(cursors.count - 1)))
        }
        waiting.sort { ($0.key, $0.rank, $0.cursor) < ($1.key, $1.rank, $1.cursor) }
    }

    @inline(__always) private static func transformed(_ time: Int64, _ forward: Bool) -> Int64 { forward ? time : ~time }
    @inline(__always) private static func transformed(_ rank: Int32, _ forward: Bool) -> Int32 { forward ? rank : ~rank }

    /// Visits entries until the heap runs dry or `visit` returns false.
    mutating func run(_ visit: (ScannedEntry) throws -> Bool) throws {
        var cursors = self.cursors
        var heap = self.heap
        let waiting = self.waiting
        self.cursors = []
        self.heap = []
        self.waiting = []
        let live = heap.count
        heap.append(contentsOf: waiting)  // room for every block; only `count` items are the heap
        let forward = self.forward
        let needsLines = scan.needsLines
        let metadataNames = scan.metadataNames
        let step = forward ? 1 : -1
        let noMetadata = Labels()  // made once: `Labels()` is an opaque call into SluiceModel
        try cursors.withUnsafeMutableBufferPointer { cs in
            try heap.withUnsafeMutableBufferPointer { hp in
                var count = live
                var nextWaiting = 0
                var index = count / 2
                while index > 0 {
                    index -= 1
                    Self.siftDown(hp, count, index, cs, forward)
                }
                func removeTop() {
                    let finished = Int(hp[0].cursor)
                    count -= 1
                    if count > 0 {
                        hp[0] = hp[count]
                        Self.siftDown(hp, count, 0, cs, forward)
                    }
                    // Memory follows the live blocks: drop a finished one at once.
                    cs[finished].decoded = nil
                    cs[finished].rows = nil
                    cs[finished].entries = []
                }
                while true {
                    // Admit the waiting blocks that may come before the current top.
                    while nextWaiting < waiting.count, count == 0 || !Self.less(hp[0], waiting[nextWaiting], cs, forward) {
                        hp[count] = waiting[nextWaiting]
                        count += 1
                        nextWaiting += 1
                        Self.siftUp(hp, count - 1, cs, forward)
                    }
                    if count == 0 { return }
                    let top = hp[0]
                    let c = Int(top.cursor)
                    if top.pending {
                        try open(&cs[c])
                        if cs[c].remaining == 0 {
                            removeTop()
                        } else {
                            hp[0].key = Self.transformed(cs[c].time, forward)
                            hp[0].pending = false
                            Self.siftDown(hp, count, 0, cs, forward)
                        }
                        continue
                    }
                    let position = cs[c].position
                    // Each branch calls `visit` itself: a shared `ScannedEntry` variable cost a copy.
                    if let rows = cs[c].rows {
                      // Lines lacking a `|=` needle are not handed (`LogScan.requiredSubstrings`).
                      if cs[c].decoded.unsafelyUnwrapped.excluded.isEmpty || !cs[c].decoded.unsafelyUnwrapped.excluded[position] {
                        let row = rows[position]
                        let length = Int(row.lineLength)
                        var line: [UInt8] = []
                        if needsLines {
                            let start = cs[c].lineStarts.unsafelyUnwrapped[position]
                            line = cs[c].decoded.unsafelyUnwrapped.lines.withUnsafeBufferPointer {
                                Array(UnsafeBufferPointer(rebasing: $0[start..<(start + length)]))
                            }
                        }
                        let origin = RecordOrigin(topic: cs[c].topics.count == 1 ? cs[c].topics[0] : cs[c].topics[Int(row.topic)],
                                                  partition: row.partition, offset: row.offset)
                        let metadata = cs[c].hasMetadata ? cs[c].decoded.unsafelyUnwrapped.metadata[position] : noMetadata
                        guard try visit(ScannedEntry(
                            entry: LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: row.time), stream: cs[c].labels,
                                            line: line, metadata: metadata, origin: origin),
                            lineLength: length, streamID: Int(cs[c].rank))) else { return }
                      }
                    } else {
                        var entry = cs[c].entries[position]
                        let length = entry.line.count
                        if !needsLines { entry.line = [] }
                        if let metadataNames, !entry.metadata.isEmpty {
                            for pair in entry.metadata where !metadataNames.contains(pair.name) { entry.metadata[pair.name] = nil }
                        }
                        guard try visit(ScannedEntry(entry: entry, lineLength: length, streamID: Int(cs[c].rank))) else { return }
                    }
                    cs[c].remaining -= 1
                    if cs[c].remaining == 0 {
                        removeTop()
                    } else {
                        cs[c].position += step
                        hp[0].key = Self.transformed(cs[c].time, forward)
                        Self.siftDown(hp, count, 0, cs, forward)
                    }
                }
            }
        }
    }

    /// Decodes a cursor's block and positions it on its first entry in the scan's range.
    private mutating func open(_ cursor: inout Cursor) throws {
        guard let part = cursor.part else { return }
        blocksDecoded += 1
        let decoded = try DecodedBlock.read(part.index.blocks[cursor.block], from: part.file,
                                            needsLines: scan.needsLines, metadataNames: scan.metadataNames,
                                            format: part.index.format,
                                            partMetadataNames: part.index.metadataNames, codec: codec,
                                            requiredSubstrings: scan.requiredSubstrings)
        let rows = UnsafeBufferPointer(decoded.rows)
        let low = Self.lowerBound(rows, scan.start.nanosecondsSinceEpoch)
        let high = Self.lowerBound(rows, scan.end.nanosecondsSinceEpoch)
        cursor.decoded = decoded
        cursor.rows = UnsafePointer(decoded.rows.baseAddress)
        cursor.lineStarts = UnsafePointer(decoded.lineStarts.baseAddress)
        cursor.topics = decoded.topics
        cursor.hasMetadata = !decoded.metadata.isEmpty
        cursor.remaining = max(0, high - low)
        cursor.position = forward ? low : high - 1
    }

    private static func lowerBound(_ rows: UnsafeBufferPointer<DecodedRow>, _ value: Int64) -> Int {
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].time < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    @inline(__always)
    private static func less(_ a: HeapItem, _ b: HeapItem, _ cursors: UnsafeMutableBufferPointer<Cursor>,
                             _ forward: Bool) -> Bool {
        if a.key != b.key { return a.key < b.key }
        return tieBreak(a, b, cursors, forward)
    }

    /// Equal timestamps: stream rank, then placeholders first, then origin (rare; kept out of line).
    @inline(never)
    private static func tieBreak(_ a: HeapItem, _ b: HeapItem, _ cursors: UnsafeMutableBufferPointer<Cursor>,
                                 _ forward: Bool) -> Bool {
        if a.rank != b.rank { return a.rank < b.rank }
        if a.pending != b.pending { return a.pending }
        if a.pending { return false }
        let left = cursors[Int(a.cursor)].origin
        let right = cursors[Int(b.cursor)].origin
        return forward ? left < right : right < left
    }

    private static func siftUp(_ heap: UnsafeMutableBufferPointer<HeapItem>, _ start: Int,
                               _ cursors: UnsafeMutableBufferPointer<Cursor>, _ forward: Bool) {
        var index = start
        let item = heap[index]
        while index > 0 {
            let parent = (index - 1) / 2
            if !less(item, heap[parent], cursors, forward) { break }
            heap[index] = heap[parent]
            index = parent
        }
        heap[index] = item
    }

    @inline(__always)
    private static func siftDown(_ heap: UnsafeMutableBufferPointer<HeapItem>, _ count: Int, _ start: Int,
                                 _ cursors: UnsafeMutableBufferPointer<Cursor>, _ forward: Bool) {
        var index = start
        let item = heap[index]
        while true {
            let left = 2 * index + 1
            if left >= count { break }
            var child = left
            if left + 1 < count, less(heap[left + 1], heap[left], cursors, forward) { child = left + 1 }
            if !less(heap[child], item, cursors, forward) { break }
            heap[index] = heap[child]
            index = child
        }
        heap[index] = item
    }
}
