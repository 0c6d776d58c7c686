import CommitLog
import Synchronization
import SluiceModel

/// One immutable part on disk: its open file and its index.
///
/// Thread-safety: immutable apart from the matcher cache (behind a mutex); reads are
/// positional, so any number of scans read at once. A scan that holds a part keeps its
/// data readable after retention unlinks the file.
final class LogPart: Sendable {
    let name: String
    let sequence: UInt64
    let file: FileHandle
    let size: Int
    let index: PartIndex
    /// `Labels.sortKey` of each stream, computed once for merging.
    let sortKeys: [String]
    /// Per stream: its blocks' time bounds (minimum, maximum).
    let streamBounds: [(min: Int64, max: Int64)]
    let entryCount: Int
    let lineBytes: Int
    /// Per matcher set (by description): which streams match; bounded, cleared when full.
    private let matchCache = Mutex<[String: [Bool]]>([:])

    init(name: String, sequence: UInt64, file: FileHandle, size: Int, index: PartIndex) {
        self.name = name
        self.sequence = sequence
        self.file = file
        self.size = size
        self.index = index
        sortKeys = index.streams.map(\.sortKey)
        var bounds = Array(repeating: (min: Int64.max, max: Int64.min), count: index.streams.count)
        var entries = 0
        var bytes = 0
        for block in index.blocks {
            bounds[block.stream].min = min(bounds[block.stream].min, block.minTime)
            bounds[block.stream].max = max(bounds[block.stream].max, block.maxTime)
            entries += block.count
            bytes += block.lineBytes
        }
        streamBounds = bounds
        entryCount = entries
        lineBytes = bytes
    }

    /// Opens and verifies the part at `path`.
    static func open(directory: String, name: String) throws -> LogPart {
        let file = try FileHandle.open(directory + "/" + name, readOnly: true)
        let (index, size) = try PartFile.readIndex(file)
        return LogPart(name: name, sequence: LogStoreFileNames.sequence(ofPart: name) ?? 0, file: file,
                       size: size, index: index)
    }

    /// Every entry, per stream (for compaction), each stream's in (timestamp, origin) order.
    func allEntries(codec: ZstdColumnCodec) throws -> [(labels: Labels, entries: [LogEntry])] {
        var byStream = index.streams.map { (labels: $0, entries: [LogEntry]()) }
        for block in index.blocks {
            let decoded = try DecodedBlock.read(block, from: file, needsLines: true, metadataNames: nil,
                                                format: index.format,
                                                partMetadataNames: index.metadataNames, codec: codec)
            let labels = index.streams[block.stream]
            for position in 0..<decoded.count {
                let row = decoded.rows[position]
                let start = decoded.lineStarts[position]
                byStream[block.stream].entries.append(LogEntry(
                    timestamp: Timestamp(nanosecondsSinceEpoch: row.time), stream: labels,
                    line: Array(decoded.lines[start..<(start + Int(row.lineLength))]),
                    metadata: decoded.metadata.isEmpty ? Labels() : decoded.metadata[position],
                    origin: decoded.origin(position)))
            }
        }
        return byStream
    }

    func overlaps(start: Timestamp, end: Timestamp) -> Bool {
        index.minTime < end.nanosecondsSinceEpoch && index.maxTime >= start.nanosecondsSinceEpoch
    }

    /// Which streams match every matcher.
    func matchingStreams(_ matchers: [LabelMatcher]) -> [Bool] {
        if matchers.isEmpty { return Array(repeating: true, count: index.streams.count) }
        let key = matchers.map(\.description).joined(separator: ",")
        if let cached = matchCache.withLock({ $0[key] }) { return cached }
        let result = index.streams.map { labels in matchers.allSatisfy { $0.matches(labels) } }
        matchCache.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[key] = result
        }
        return result
    }
}
