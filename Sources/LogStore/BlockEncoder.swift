#if canImport(Glibc)
import Glibc
#endif
import KafkaWire
import SluiceModel

/// Encodes one stream's entries, sorted by (timestamp, origin), into a block's columns.
///
/// Column layouts before compression (varints are LEB128, `z` marks zig-zag):
/// - timestamps: varint e (format 4), then per entry varint((timestamp &- previous) / 10^e)
///   as a bit pattern, e the largest exponent ≤ 9 dividing every delta; previous starts at
///   the block's `minTime` (from the index), so deltas are small and non-negative.
/// - origins: topic count, topics (length, UTF-8); then per entry topic index,
///   partition (z), offset &- previous offset (z, previous starts at 0).
/// - lineLengths: per entry, varint length.
/// - metadata: name count, names (length, UTF-8); then per entry pair count and per pair
///   name index and the value, which parsed fields mostly find in the entry's line:
///   format 4: varint(token count << 2 | 2) and varint(first token) when the value is
///   whole tokens of the line (`TokenColumns.tokenStarts`: the same two numbers line
///   after line of one format, so they compress to almost nothing); else varint(length
///   << 2 | 1) and varint(its start in the line); else varint(length << 2) and the bytes.
///   Format 3: varint(length << 1 | 1) and the start, or varint(length << 1) and the bytes.
///   Empty (no bytes) when no entry has metadata.
/// - lines: the lines as token columns (`TokenColumns`; format 4, before it the lines'
///   bytes back to back).
///
/// Each non-empty column is one zstd frame unless compressing does not shrink it.
/// Thread-safety: not thread-safe; one encoder per flush. Its buffers are reused between
/// blocks so that encoding allocates per block, not per entry.
struct BlockEncoder {
    private let codec: ZstdColumnCodec
    private var columns: [[UInt8]] = Array(repeating: [], count: BlockColumn.allCases.count)
    private var metadataBody: [UInt8] = []
    /// The block's lines back to back and their lengths, before they become token columns.
    private var concatenatedLines: [UInt8] = []
    private var lineLengths: [Int] = []
    private var tokens = TokenHashSet()

    private let format: PartFormat
    /// The block's timestamp deltas, before they are scaled (format 4).
    private var timeDeltas: [UInt64] = []
    /// The current entry's token starts (format 4 metadata references).
    private var lineTokenStarts: [Int] = []

    /// 10⁰ … 10⁹: timestamps in whole micro-, milli- or seconds have deltas divisible by one.
    static let powersOfTen: [UInt64] = (0...9).map { exponent in (0..<exponent).reduce(1) { value, _ in value * 10 } }

    init(level: Int, format: PartFormat = .current) {
        precondition(format.metadataReferencesLines, "writes format 3 or later")
        codec = ZstdColumnCodec(level: level)
        self.format = format
    }

    /// Where `value` (non-empty) occurs in `line`, searching from `hint` first (fields
    /// tend to be found in line order, though names are sorted) and then from the start;
    /// moves the hint past a match.
    static func find(_ value: UnsafeBufferPointer<UInt8>, in line: [UInt8], from hint: inout Int) -> Int? {
        guard value.count > 0, value.count <= line.count else { return nil }
        return line.withUnsafeBytes { bytes -> Int? in
            func search(_ from: Int) -> Int? {
                // memchr for the first byte, memcmp for the rest (memmem is a GNU extension
                // Swift's Glibc module does not expose).
                let base = bytes.baseAddress!
                let first = Int32(value[0])
                var position = from
                while position + value.count <= bytes.count {
                    guard let hit = memchr(base + position, first, bytes.count - value.count + 1 - position) else { return nil }
                    let start = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + start, value.baseAddress!, value.count) == 0 { return start }
                    position = start + 1
                }
                return nil
            }
            guard let start = search(min(hint, bytes.count)) ?? (hint > 0 ? search(0) : nil) else { return nil }
            hint = start + value.count
            return start
        }
    }

    /// Appends the block's columns to `output` and returns its index entry. `metadataName`
    /// maps a metadata name to its index in the part's table.
    /// `pieces` are the block's entries in order, in one or more slices (head chunks).
    mutating func encode(_ pieces: [ArraySlice<LogEntry>], stream: Int, into output: inout [UInt8],
                         metadataName: (String) -> Int) throws -> BlockInfo {
        let count = pieces.reduce(0) { $0 + $1.count }
        precondition(count > 0, "a block holds at least one entry")
        // Work on locals (moved out of the reused storage) so appends skip nested-array checks.
        var timestampColumn = Self.emptied(&columns[0])
        var timeDeltas = self.timeDeltas
        self.timeDeltas = []
        var lineTokenStarts = self.lineTokenStarts
        self.lineTokenStarts = []
        timeDeltas.removeAll(keepingCapacity: true)
        var originColumn = Self.emptied(&columns[1])
        var lengthColumn = Self.emptied(&columns[2])
        var lineColumn = Self.emptied(&concatenatedLines)
        var lineLengths = self.lineLengths
        self.lineLengths = []
        lineLengths.removeAll(keepingCapacity: true)
        var metadataBody = Self.emptied(&self.metadataBody)
        var tokens = self.tokens
        self.tokens = TokenHashSet(capacity: 0)
        tokens.removeAll()

        let minTime = pieces.first { !$0.isEmpty }!.first!.timestamp.nanosecondsSinceEpoch
        var maxTime = minTime
        var previousTime = minTime
        var previousOffset: Int64 = 0
        var topics: [String] = []
        var lastTopic = ""
        var lastTopicIndex = -1
        var metadataNames: [String] = []
        var metadataIndex: [String: Int] = [:]
        var lastNames: [(name: String, index: Int)] = []
        var lineBytes = 0

        for piece in pieces {
        piece.withUnsafeBufferPointer { entries in
        // Fields are read in place (`entries[row].…`): binding each entry to a local
        // would copy it, a retain and release of its line, labels and metadata per entry.
        for row in entries.indices {
            let time = entries[row].timestamp.nanosecondsSinceEpoch
            timeDeltas.append(UInt64(bitPattern: time &- previousTime))
            previousTime = time
            maxTime = max(maxTime, time)

            let origin = entries[row].origin
            if lastTopicIndex < 0 || origin.topic != lastTopic {
                lastTopicIndex = topics.firstIndex(of: origin.topic) ?? {
                    topics.append(origin.topic)
                    return topics.count - 1
                }()
                lastTopic = origin.topic
            }
            originColumn.appendStoredVarint(lastTopicIndex)
            originColumn.appendStoredZigZag(Int64(origin.partition))
            originColumn.appendStoredZigZag(origin.offset &- previousOffset)
            previousOffset = origin.offset

            lengthColumn.appendStoredVarint(entries[row].line.count)
            lineColumn.append(contentsOf: entries[row].line)
            lineLengths.append(entries[row].line.count)
            lineBytes += entries[row].line.count
            entries[row].line.withUnsafeBytes { TokenHasher.addTokens(of: $0, to: &tokens) }

            // Entries of one stream usually carry the same names in the same order: compare
            // with the previous entry's before hashing.
            metadataBody.appendStoredVarint(entries[row].metadata.pairs.count)
            var searchFrom = 0
            var lineTokensKnown = false
            for (position, pair) in entries[row].metadata.pairs.enumerated() {
                let index: Int
                if position < lastNames.count, lastNames[position].name == pair.name {
                    index = lastNames[position].index
                } else {
                    index = metadataIndex[pair.name] ?? {
                        metadataNames.append(pair.name)
                        metadataIndex[pair.name] = metadataNames.count - 1
                        return metadataNames.count - 1
                    }()
                    if position < lastNames.count {
                        lastNames[position] = (pair.name, index)
                    } else {
                        lastNames.append((pair.name, index))
                    }
                }
                metadataBody.appendStoredVarint(index)
                var value = pair.value
                value.withUTF8 { utf8 in
                    if format.tokenReferences, utf8.count > 0 {
                        if !lineTokensKnown {
                            entries[row].line.withUnsafeBufferPointer { TokenColumns.tokenStarts(of: $0, into: &lineTokenStarts) }
                            lineTokensKnown = true
                        }
                        // Whole tokens first: a short value ("8220", "user") also occurs
                        // inside longer tokens, at places that change from line to line.
                        if let (first, count) = entries[row].line.withUnsafeBufferPointer({
                            Self.wholeTokens(utf8, in: $0, tokenStarts: lineTokenStarts)
                        }) {
                            metadataBody.appendStoredVarint(count << 2 | MetadataValueKind.tokens.rawValue)
                            metadataBody.appendStoredVarint(first)
                            return
                        }
                    }
                    if let start = Self.find(utf8, in: entries[row].line, from: &searchFrom) {
                        if format.tokenReferences {
                            metadataBody.appendStoredVarint(utf8.count << 2 | MetadataValueKind.bytes.rawValue)
                        } else {
                            metadataBody.appendStoredVarint(utf8.count << 1 | 1)
                        }
                        metadataBody.appendStoredVarint(start)
                    } else if format.tokenReferences {
                        metadataBody.appendStoredVarint(utf8.count << 2 | MetadataValueKind.literal.rawValue)
                        metadataBody.append(contentsOf: utf8)
                        TokenHasher.addTokens(of: UnsafeRawBufferPointer(utf8), to: &tokens)
                    } else {
                        metadataBody.appendStoredVarint(utf8.count << 1)
                        metadataBody.append(contentsOf: utf8)
                        TokenHasher.addTokens(of: UnsafeRawBufferPointer(utf8), to: &tokens)
                    }
                }
            }
        }

        }
        }
        if format.scaledTimestamps {
            // The largest power of ten dividing every delta: whole milliseconds cost a
            // varint of milliseconds, not of nanoseconds.
            var exponent = Self.powersOfTen.count - 1
            for delta in timeDeltas where delta != 0 {
                while exponent > 0, delta % Self.powersOfTen[exponent] != 0 { exponent -= 1 }
                if exponent == 0 { break }
            }
            timestampColumn.appendStoredVarint(exponent)
            let scale = Self.powersOfTen[exponent]
            for delta in timeDeltas { timestampColumn.appendStoredVarint(delta / scale) }
        } else {
            for delta in timeDeltas { timestampColumn.appendStoredVarint(delta) }
        }
        columns[0] = timestampColumn
        self.timeDeltas = timeDeltas
        self.lineTokenStarts = lineTokenStarts
        columns[1] = Self.dictionary(topics) + originColumn
        columns[2] = lengthColumn
        columns[3] = []
        if !metadataNames.isEmpty {
            columns[3] = Self.dictionary(metadataNames)
            columns[3].append(contentsOf: metadataBody)
        }
        if format.tokenColumns {
            var tokenColumns = Self.emptied(&columns[4])
            TokenColumns.encode(lineColumn, lengths: lineLengths, into: &tokenColumns)
            columns[4] = tokenColumns
            concatenatedLines = lineColumn
        } else {
            columns[4] = lineColumn
        }
        self.lineLengths = lineLengths
        self.metadataBody = metadataBody
        defer { self.tokens = tokens }

        let offset = output.count
        var infos: [ColumnInfo] = []
        infos.reserveCapacity(columns.count)
        for raw in columns {
            let start = output.count
            var compressed = false
            if raw.count > 32 {
                compressed = try codec.compress(raw, appendingTo: &output) < raw.count
                if !compressed { output.removeLast(output.count - start) }
            }
            if !compressed { output.append(contentsOf: raw) }
            let checksum = output.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            infos.append(ColumnInfo(storedLength: output.count - start, rawLength: raw.count, compressed: compressed,
                                    checksum: checksum))
        }
        return BlockInfo(stream: stream, count: count, minTime: minTime, maxTime: maxTime,
                         lineBytes: lineBytes, offset: offset, columns: infos,
                         metadataNames: metadataNames.map(metadataName).sorted(),
                         bloom: TokenBloomFilter(tokens: tokens))
    }

    /// The first run of whole tokens of `line` (`tokenStarts` from `TokenColumns`) that
    /// spells `value`: (first token, token count).
    static func wholeTokens(_ value: UnsafeBufferPointer<UInt8>, in line: UnsafeBufferPointer<UInt8>,
                            tokenStarts: [Int]) -> (first: Int, count: Int)? {
        guard value.count > 0, value.count <= line.count else { return nil }
        for first in 0..<(tokenStarts.count - 1) {
            let start = tokenStarts[first]
            guard start + value.count <= line.count else { return nil }
            guard line[start] == value[0],
                  memcmp(line.baseAddress! + start, value.baseAddress!, value.count) == 0,
                  let end = binarySearch(tokenStarts, start + value.count) else { continue }
            return (first, end - first)
        }
        return nil
    }

    /// The index of `value` in ascending `values`, if there.
    static func binarySearch(_ values: [Int], _ value: Int) -> Int? {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < values.count && values[low] == value ? low : nil
    }

    private static func emptied(_ buffer: inout [UInt8]) -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        taken.removeAll(keepingCapacity: true)
        return taken
    }

    private static func dictionary(_ names: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendStoredVarint(names.count)
        for name in names { bytes.appendStoredString(name) }
        return bytes
    }
}

/// How a format 4 metadata value is stored (the low two bits of its tag).
enum MetadataValueKind: Int {
    case literal = 0, bytes = 1, tokens = 2
}
