#if canImport(Glibc)
import Glibc
#endif
import CommitLog
import KafkaWire
import SluiceModel

/// The per-entry fields a scan reads for every entry, side by side: a merge over many
/// blocks then walks one sequential stream per block instead of one per column.
struct DecodedRow {
    var time: Int64
    var offset: Int64
    var partition: Int32
    var lineLength: Int32
    var topic: Int32
}

/// A block's columns decoded into flat buffers, so that a scan builds each entry from a few
/// loads instead of allocating per entry (lines and metadata aside). A class with `let`
/// buffers: the merge reads them per entry without copies, retains or exclusivity checks.
///
/// Thread-safety: immutable once built; owned by one scan.
final class DecodedBlock {
    let count: Int
    let rows: UnsafeMutableBufferPointer<DecodedRow>
    /// Start of each line in `lines` (count + 1 values); empty when lines were not read.
    let lineStarts: UnsafeMutableBufferPointer<Int>
    let topics: [String]
    let lines: [UInt8]
    /// One label set per entry; empty when metadata was not read.
    let metadata: [Labels]
    /// Per entry, whether its line lacks one of the scan's required substrings (its
    /// metadata was then not built); empty when nothing was excluded.
    let excluded: [Bool]

    private init(count: Int, columns: Columns) {
        self.count = count
        rows = columns.rows
        lineStarts = columns.lineStarts
        topics = columns.topics
        lines = columns.lines
        metadata = columns.metadata
        excluded = columns.excluded
    }

    deinit {
        rows.deallocate()
        lineStarts.deallocate()
    }

    func origin(_ index: Int) -> RecordOrigin {
        RecordOrigin(topic: topics[Int(rows[index].topic)], partition: rows[index].partition, offset: rows[index].offset)
    }

    /// The columns while decoding; freed here if decoding fails, else owned by the block.
    fileprivate struct Columns {
        var rows: UnsafeMutableBufferPointer<DecodedRow>
        var lineStarts: UnsafeMutableBufferPointer<Int>
        var topics: [String] = []
        var lines: [UInt8] = []
        var metadata: [Labels] = []
        var excluded: [Bool] = []

        init(count: Int, withStarts: Bool) {
            rows = .allocate(capacity: count)
            rows.initialize(repeating: DecodedRow(time: 0, offset: 0, partition: 0, lineLength: 0, topic: 0))
            lineStarts = .allocate(capacity: withStarts ? count + 1 : 0)
        }

        func free() {
            rows.deallocate()
            lineStarts.deallocate()
        }
    }

    /// Reads and decodes `block` from `file`. Lines are read only when `needsLines`;
    /// metadata only when `metadataNames` is nil (all) or names one the block holds
    /// (`partMetadataNames` resolves the block's name indexes).
    /// With `requiredSubstrings` (and lines read), entries whose line lacks one are marked
    /// in `excluded` and their metadata is not built: a `|=` needle reads a few lines of
    /// each candidate block, and building every entry's metadata cost more than the rest.
    static func read(_ block: BlockInfo, from file: FileHandle, needsLines: Bool, metadataNames: Set<String>?,
                     format: PartFormat, partMetadataNames: [String], codec: ZstdColumnCodec,
                     requiredSubstrings: [[UInt8]] = []) throws -> DecodedBlock {
        var columns = Columns(count: block.count, withStarts: needsLines || format.metadataReferencesLines)
        do {
            try decode(block, from: file, needsLines: needsLines, metadataNames: metadataNames, format: format,
                       partMetadataNames: partMetadataNames, codec: codec,
                       requiredSubstrings: needsLines ? requiredSubstrings.filter { !$0.isEmpty } : [], into: &columns)
        } catch {
            columns.free()
            throw error
        }
        return DecodedBlock(count: block.count, columns: columns)
    }

    /// Reads and decodes only what counting needs: `rows[i].time`, `rows[i].lineLength`
    /// when `lineLengths`, and metadata as `read` does (only for blocks holding one of
    /// `metadataNames`, all names when nil). Origins are not decoded (`origin(_:)` must not
    /// be called) and lines are read only when metadata refers into them.
    static func readColumns(_ block: BlockInfo, from file: FileHandle, lineLengths: Bool, metadataNames: Set<String>?,
                            format: PartFormat, partMetadataNames: [String], codec: ZstdColumnCodec) throws -> DecodedBlock {
        var columns = Columns(count: block.count, withStarts: format.metadataReferencesLines)
        do {
            try decode(block, from: file, needsLines: false, metadataNames: metadataNames, format: format,
                       partMetadataNames: partMetadataNames, codec: codec, origins: false, lineLengths: lineLengths,
                       into: &columns)
        } catch {
            columns.free()
            throw error
        }
        return DecodedBlock(count: block.count, columns: columns)
    }

    /// - Parameters:
    ///   - origins: whether to decode origins (a merge orders by them; counting does not).
    ///   - lineLengths: whether to decode line lengths even when neither lines nor
    ///     metadata are read.
    private static func decode(_ block: BlockInfo, from file: FileHandle, needsLines: Bool, metadataNames: Set<String>?,
                               format: PartFormat, partMetadataNames: [String], codec: ZstdColumnCodec,
                               origins: Bool = true, lineLengths: Bool = true, requiredSubstrings: [[UInt8]] = [],
                               into decoded: inout Columns) throws {
        let wantsMetadata = block[.metadata].rawLength > 0 && (metadataNames.map { names in
            block.metadataNames.contains { names.contains(partMetadataNames[$0]) }
        } ?? true)
        // Metadata may point into the lines (version 3), so reading it reads them too.
        let readsLines = needsLines || (wantsMetadata && format.metadataReferencesLines)
        let readsLengths = lineLengths || readsLines || wantsMetadata
        let last: BlockColumn = readsLines ? .lines
            : (wantsMetadata ? .metadata : (readsLengths ? .lineLengths : (origins ? .origins : .timestamps)))
        let length = block.columnOffset(last) + block[last].storedLength - block.offset
        let bytes = try file.read(at: block.offset, count: length)
        guard bytes.count == length else {
            throw LogStoreError.corrupt(path: file.path, reason: "block at \(block.offset) is cut short")
        }
        try bytes.withUnsafeBytes { stored in
            func column(_ column: BlockColumn) throws -> [UInt8] {
                let info = block[column]
                let start = block.columnOffset(column) - block.offset
                let slice = UnsafeRawBufferPointer(rebasing: stored[start..<(start + info.storedLength)])
                guard CRC32C.checksum(slice) == info.checksum else {
                    throw LogStoreError.corrupt(path: file.path, reason: "checksum of block at \(block.offset) column \(column)")
                }
                guard info.compressed else { return Array(slice) }
                return try codec.decompress(slice, rawLength: info.rawLength, path: file.path)
            }
            try decoded.decodeTimestamps(try column(.timestamps), block: block, scaled: format.scaledTimestamps, path: file.path)
            if origins {
                try decoded.decodeOrigins(try column(.origins), count: block.count, path: file.path)
            }
            if readsLengths {
                try decoded.decodeLineLengths(try column(.lineLengths), count: block.count, path: file.path,
                                              computeStarts: readsLines)
            }
            if readsLines {
                let lines = try column(.lines)
                decoded.lines = format.tokenColumns
                    ? try lines.withUnsafeBytes {
                        try TokenColumns.decode($0, lineStarts: UnsafeBufferPointer(decoded.lineStarts), path: file.path)
                    }
                    : lines
                guard decoded.lines.count == decoded.lineStarts[block.count] else {
                    throw LogStoreError.corrupt(path: file.path, reason: "block at \(block.offset): line bytes disagree with lengths")
                }
            }
            if readsLines, !requiredSubstrings.isEmpty {
                decoded.excludeLinesLacking(requiredSubstrings, count: block.count)
            }
            if wantsMetadata {
                try decoded.decodeMetadata(try column(.metadata), count: block.count, names: metadataNames,
                                           format: format, path: file.path)
            }
        }
    }
}

extension DecodedBlock.Columns {
    /// Marks the entries whose line lacks one of `needles` (non-empty) in `excluded`.
    fileprivate mutating func excludeLinesLacking(_ needles: [[UInt8]], count: Int) {
        var excluded = [Bool](repeating: false, count: count)
        lines.withUnsafeBufferPointer { lines in
            for entry in 0..<count {
                let line = UnsafeBufferPointer(rebasing: lines[lineStarts[entry]..<lineStarts[entry + 1]])
                excluded[entry] = !needles.allSatisfy { needle in
                    needle.withUnsafeBufferPointer { Self.contains(line, $0) }
                }
            }
        }
        self.excluded = excluded
    }

    /// Whether `needle` (non-empty) occurs in `line`: memchr for its first byte, memcmp for the rest.
    static func contains(_ line: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard needle.count <= line.count, let base = line.baseAddress else { return false }
        var position = 0
        while position + needle.count <= line.count {
            guard let hit = memchr(base + position, Int32(needle[0]), line.count - needle.count + 1 - position) else { return false }
            let start = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + start, needle.baseAddress!, needle.count) == 0 { return true }
            position = start + 1
        }
        return false
    }


    fileprivate mutating func decodeTimestamps(_ raw: [UInt8], block: BlockInfo, scaled: Bool, path: String) throws {
        try raw.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            var scale: UInt64 = 1
            if scaled {
                let exponent = try reader.count(limit: BlockEncoder.powersOfTen.count - 1)
                scale = BlockEncoder.powersOfTen[exponent]
            }
            var time = block.minTime
            for index in 0..<block.count {
                time &+= Int64(bitPattern: try reader.varint() &* scale)
                rows[index].time = time
            }
        }
    }

    fileprivate mutating func decodeOrigins(_ raw: [UInt8], count: Int, path: String) throws {
        try raw.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            let topicCount = try reader.count(limit: count)
            for _ in 0..<topicCount { topics.append(try reader.string()) }
            guard topicCount > 0 || count == 0 else { throw reader.corrupt("block without topics") }
            var offset: Int64 = 0
            for index in 0..<count {
                rows[index].topic = Int32(try reader.count(limit: max(0, topicCount - 1)))
                rows[index].partition = Int32(truncatingIfNeeded: try reader.zigZag())
                offset &+= try reader.zigZag()
                rows[index].offset = offset
            }
        }
    }

    fileprivate mutating func decodeLineLengths(_ raw: [UInt8], count: Int, path: String, computeStarts: Bool) throws {
        try raw.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            for index in 0..<count { rows[index].lineLength = Int32(try reader.count()) }
        }
        if computeStarts {
            var start = 0
            lineStarts[0] = 0
            for index in 0..<count {
                start += Int(rows[index].lineLength)
                lineStarts[index + 1] = start
            }
        }
    }

    fileprivate mutating func decodeMetadata(_ raw: [UInt8], count: Int, names: Set<String>?, format: PartFormat,
                                             path: String) throws {
        let referencesLines = format.metadataReferencesLines
        let lines = self.lines
        let lineStarts = self.lineStarts
        try raw.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            let nameCount = try reader.count()
            var dictionary: [String] = []
            var keep: [Bool] = []
            for _ in 0..<nameCount {
                let name = try reader.string()
                dictionary.append(name)
                keep.append(names?.contains(name) ?? true)
            }
            metadata.reserveCapacity(count)
            var tokenStarts: [Int] = []
            let excluded = self.excluded
            for entry in 0..<count {
                var labels = Labels()
                let pairs = try reader.count(limit: nameCount)
                var tokensOfEntry = -1
                let builds = excluded.isEmpty || !excluded[entry]
                for _ in 0..<pairs {
                    let name = try reader.count(limit: max(0, nameCount - 1))
                    let lineStart = referencesLines ? lineStarts[entry] : 0
                    let lineLength = referencesLines ? lineStarts[entry + 1] - lineStart : 0
                    /// The value at `start ..< start + length` of the entry's line.
                    func fromLine(_ start: Int, _ length: Int) throws -> String {
                        guard start >= 0, length >= 0, start + length <= lineLength else {
                            throw reader.corrupt("metadata reference past its line")
                        }
                        guard keep[name], builds else { return "" }
                        return lines.withUnsafeBufferPointer {
                            String(decoding: UnsafeBufferPointer(rebasing: $0[(lineStart + start)..<(lineStart + start + length)]), as: UTF8.self)
                        }
                    }
                    let text: String
                    if format.tokenReferences {
                        let tag = try reader.count()
                        switch MetadataValueKind(rawValue: tag & 3) {
                        case .literal?:
                            text = String(decoding: try reader.raw(tag >> 2), as: UTF8.self)
                        case .bytes?:
                            text = try fromLine(try reader.count(), tag >> 2)
                        case .tokens?:
                            guard keep[name], builds else {
                                _ = try reader.count()
                                text = ""
                                break
                            }
                            if tokensOfEntry != entry {
                                lines.withUnsafeBufferPointer {
                                    TokenColumns.tokenStarts(of: UnsafeBufferPointer(rebasing: $0[lineStart..<(lineStart + lineLength)]),
                                                             into: &tokenStarts)
                                }
                                tokensOfEntry = entry
                            }
                            let first = try reader.count()
                            let last = first + (tag >> 2)
                            guard last < tokenStarts.count else { throw reader.corrupt("metadata token reference past its line") }
                            text = try fromLine(tokenStarts[first], tokenStarts[last] - tokenStarts[first])
                        case nil:
                            throw reader.corrupt("metadata value of unknown kind \(tag & 3)")
                        }
                    } else if referencesLines {
                        let tag = try reader.count()
                        if tag & 1 == 1 {
                            text = try fromLine(try reader.count(), tag >> 1)
                        } else {
                            text = String(decoding: try reader.raw(tag >> 1), as: UTF8.self)
                        }
                    } else {
                        text = String(decoding: try reader.raw(try reader.count()), as: UTF8.self)
                    }
                    // Pairs were written in name order, so each set appends at the end.
                    if keep[name], builds { labels[dictionary[name]] = text }
                }
                metadata.append(labels)
            }
        }
    }
}
