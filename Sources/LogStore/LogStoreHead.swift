import SluiceModel

/// Entries not yet in a part, grouped by stream: queryable at once, flushed as one part.
///
/// Each stream keeps its entries in sealed chunks plus one open chunk, so a scan's snapshot
/// copies a few array references, and the next append copies at most one chunk (copy on
/// write) instead of the whole stream.
/// Thread-safety: a value type kept under the store's lock; snapshots are values too.
struct LogStoreHead {
    static let chunkSize = 512

    struct Stream {
        let labels: Labels
        var chunks: [[LogEntry]] = []
        var open: [LogEntry] = []
        var minTime = Int64.max
        var maxTime = Int64.min
        /// Whether entries arrived in (timestamp, origin) order, so that readers need not sort.
        var isSorted = true
        var last: (time: Int64, origin: RecordOrigin)?

        init(labels: Labels) { self.labels = labels }
    }

    private(set) var streams: [Stream] = []
    private var streamIndex: [Labels: Int] = [:]
    private var lastStream = -1
    private(set) var entryCount = 0
    /// Lines plus metadata names and values.
    private(set) var rawBytes = 0

    var isEmpty: Bool { entryCount == 0 }

    mutating func append(_ entry: LogEntry) {
        let index: Int
        if lastStream >= 0, streams[lastStream].labels == entry.stream {
            index = lastStream
        } else if let found = streamIndex[entry.stream] {
            index = found
        } else {
            index = streams.count
            streams.append(Stream(labels: entry.stream))
            streamIndex[entry.stream] = index
        }
        lastStream = index
        let time = entry.timestamp.nanosecondsSinceEpoch
        streams[index].minTime = min(streams[index].minTime, time)
        streams[index].maxTime = max(streams[index].maxTime, time)
        if let last = streams[index].last, time < last.time || (time == last.time && entry.origin < last.origin) {
            streams[index].isSorted = false
        }
        streams[index].last = (time, entry.origin)
        streams[index].open.append(entry)
        if streams[index].open.count >= Self.chunkSize {
            streams[index].chunks.append(streams[index].open)
            streams[index].open = []
            streams[index].open.reserveCapacity(Self.chunkSize)
        }
        entryCount += 1
        rawBytes += Self.rawSize(entry)
    }

    static func rawSize(_ entry: LogEntry) -> Int {
        entry.line.count + entry.metadata.pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
    }

    /// The streams that match `matchers` and may hold entries in `[start, end)`.
    func streams(matching matchers: [LabelMatcher], start: Int64, end: Int64) -> [Stream] {
        streams.filter { stream in
            stream.minTime < end && stream.maxTime >= start && matchers.allSatisfy { $0.matches(stream.labels) }
        }
    }
}

extension LogStoreHead.Stream {
    /// The entries in `[start, end)`, sorted by (timestamp, origin).
    func entries(start: Int64, end: Int64) -> [LogEntry] {
        var selected: [LogEntry] = []
        func take(_ chunk: [LogEntry]) {
            for entry in chunk where entry.timestamp.nanosecondsSinceEpoch >= start && entry.timestamp.nanosecondsSinceEpoch < end {
                selected.append(entry)
            }
        }
        for chunk in chunks { take(chunk) }
        take(open)
        if !isSorted { selected.sort(by: LogStoreHead.streamOrder) }
        return selected
    }

    func hasEntries(start: Int64, end: Int64) -> Bool {
        if minTime >= start && maxTime < end { return true }
        func any(_ chunk: [LogEntry]) -> Bool {
            chunk.contains { $0.timestamp.nanosecondsSinceEpoch >= start && $0.timestamp.nanosecondsSinceEpoch < end }
        }
        return chunks.contains(where: any) || any(open)
    }
}

extension LogStoreHead {
    /// Order within one stream: `LogEntry.precedes` for entries of equal streams.
    static func streamOrder(_ lhs: LogEntry, _ rhs: LogEntry) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        return lhs.origin < rhs.origin
    }
}
