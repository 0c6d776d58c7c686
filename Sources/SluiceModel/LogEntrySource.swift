/// What a log query asks of storage: streams matching every matcher, entries with
/// `start <= timestamp < end`, visited in `LogEntry.precedes` order (or its reverse).
public struct LogScan: Sendable {
    public enum Direction: String, Sendable { case forward, backward }

    public var matchers: [LabelMatcher]
    public var start: Timestamp
    public var end: Timestamp
    public var direction: Direction
    /// Byte strings every returned line must contain (from `|=` filters). Storage may use
    /// them to skip blocks whose token index rules them out and entries whose line lacks
    /// one; it may also return entries that do not contain them: the query applies its
    /// filters again.
    public var requiredSubstrings: [[UInt8]]
    /// Whether the visitor reads `line`. Metric queries without line filters or parsers
    /// only count and measure, so storage can skip decompressing line bytes; it must
    /// still fill `lineLength`.
    public var needsLines: Bool
    /// The metadata names the visitor reads; nil for all. `sum by (level)` over a
    /// selector needs only `level`, so storage can skip blocks' metadata that lacks it.
    public var metadataNames: Set<String>?

    public init(matchers: [LabelMatcher], start: Timestamp, end: Timestamp,
                direction: Direction = .forward, requiredSubstrings: [[UInt8]] = [],
                needsLines: Bool = true, metadataNames: Set<String>? = nil) {
        self.matchers = matchers
        self.start = start
        self.end = end
        self.direction = direction
        self.requiredSubstrings = requiredSubstrings
        self.needsLines = needsLines
        self.metadataNames = metadataNames
    }
}

/// One entry as a scan hands it over. When the scan did not ask for lines, `line` is empty
/// and only `lineLength` tells the line's size; `metadata` holds at least the names the
/// scan asked for (storage may hand more).
public struct ScannedEntry: Sendable {
    public var entry: LogEntry
    public var lineLength: Int
    /// Names the stream within one scan: entries with equal ids have equal
    /// `entry.stream`, so a query can key per-stream work by an Int instead of hashing
    /// labels for every entry.
    public var streamID: Int

    public init(entry: LogEntry, lineLength: Int, streamID: Int) {
        self.entry = entry
        self.lineLength = lineLength
        self.streamID = streamID
    }
}

/// Some entries of one stream as columns, as `LogEntrySource.scanColumns` hands them: for
/// queries that only count and measure, so storage hands a block's timestamps without
/// building an entry per row.
public struct StreamColumns: Sendable {
    public var stream: Labels
    /// Same meaning as `ScannedEntry.streamID`: equal ids, equal `stream` within one scan.
    public var streamID: Int
    /// The entries' timestamps, all in the scan's `[start, end)`, in no particular order.
    public var timestamps: [Int64]
    /// Line lengths in bytes, position for position with `timestamps`; empty unless the
    /// scan asked for them.
    public var lineLengths: [Int32]
    /// Each entry's metadata, position for position, holding at least the scan's
    /// `metadataNames`; may be empty only when no entry here carries one of those names
    /// (any name when they are nil), and then the stream's labels settle every entry.
    public var metadata: [Labels]

    public init(stream: Labels, streamID: Int, timestamps: [Int64], lineLengths: [Int32] = [], metadata: [Labels] = []) {
        self.stream = stream
        self.streamID = streamID
        self.timestamps = timestamps
        self.lineLengths = lineLengths
        self.metadata = metadata
    }
}

/// Storage that log queries read: the log store, or an array in tests.
public protocol LogEntrySource: Sendable {
    /// Calls `visit` for every entry the scan selects, in order; stops when `visit`
    /// returns false.
    func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws

    /// Hands the entries `scan` would select as columns per stream, in NO particular order
    /// across or within calls (not by time, not one stream after another); stops when
    /// `visit` returns false. `visit` is called on the calling thread, one call at a time.
    /// Only entries with `start <= timestamp < end` are handed. `direction`, `needsLines`
    /// and `requiredSubstrings` do not apply: this is for queries without line filters.
    /// Line lengths are filled only when `lineLengths` is true.
    func scanColumns(_ scan: LogScan, lineLengths: Bool, visit: (StreamColumns) throws -> Bool) throws

    /// The label sets of the streams with entries in `[start, end)` matching every matcher.
    func streams(matching matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [Labels]
}

extension LogEntrySource {
    /// Built on `scan`: each stream's entries gathered into chunks of up to 1024.
    public func scanColumns(_ scan: LogScan, lineLengths: Bool, visit: (StreamColumns) throws -> Bool) throws {
        var columnScan = scan
        columnScan.needsLines = false
        columnScan.requiredSubstrings = []
        var pending: [Int: StreamColumns] = [:]
        var stopped = false
        try self.scan(columnScan) { scanned in
            let id = scanned.streamID
            var chunk = pending.removeValue(forKey: id)
                ?? StreamColumns(stream: scanned.entry.stream, streamID: id, timestamps: [])
            chunk.timestamps.append(scanned.entry.timestamp.nanosecondsSinceEpoch)
            if lineLengths { chunk.lineLengths.append(Int32(clamping: scanned.lineLength)) }
            let metadata = scanned.entry.metadata
            if !chunk.metadata.isEmpty || !metadata.isEmpty {
                if chunk.metadata.isEmpty { chunk.metadata = Array(repeating: Labels(), count: chunk.timestamps.count - 1) }
                chunk.metadata.append(metadata)
            }
            guard chunk.timestamps.count >= 1024 else {
                pending[id] = chunk
                return true
            }
            stopped = try !visit(chunk)
            return !stopped
        }
        guard !stopped else { return }
        for id in pending.keys.sorted() where try !visit(pending[id]!) { return }
    }
}

/// An in-memory source over an array: the reference for tests and small pushes.
public struct ArrayLogSource: LogEntrySource {
    public let entries: [LogEntry]

    public init(_ entries: [LogEntry]) {
        self.entries = entries.sorted(by: LogEntry.precedes)
    }

    public func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws {
        let selected = entries.lazy.filter { entry in
            entry.timestamp >= scan.start && entry.timestamp < scan.end
                && scan.matchers.allSatisfy { $0.matches(entry.stream) }
        }
        var streamIDs: [Labels: Int] = [:]
        func hand(_ entry: LogEntry) throws -> Bool {
            var handed = entry
            if !scan.needsLines { handed.line = [] }
            if let names = scan.metadataNames {
                for pair in entry.metadata where !names.contains(pair.name) { handed.metadata[pair.name] = nil }
            }
            let streamID = streamIDs[entry.stream] ?? streamIDs.count
            streamIDs[entry.stream] = streamID
            return try visit(ScannedEntry(entry: handed, lineLength: entry.line.count, streamID: streamID))
        }
        switch scan.direction {
        case .forward: for entry in selected where try !hand(entry) { return }
        case .backward: for entry in selected.reversed() where try !hand(entry) { return }
        }
    }

    public func streams(matching matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [Labels] {
        var seen = Set<Labels>()
        var result: [Labels] = []
        for entry in entries where entry.timestamp >= start && entry.timestamp < end
            && matchers.allSatisfy({ $0.matches(entry.stream) }) {
            if seen.insert(entry.stream).inserted { result.append(entry.stream) }
        }
        return result.sorted { $0.sortKey < $1.sortKey }
    }
}
