import SluiceModel

/// A part's index: what a part holds, loaded into memory when the part is opened.
///
/// Byte layout (varints are LEB128; `z` marks zig-zag; strings are length + UTF-8):
/// ```
/// minTime z, maxTime z
/// high-water count, { topic, partition z, offset z }*     (the store's marks when written)
/// replaced count, { sequence }*                          (parts a compaction merged; version 2+)
/// stream count, { pair count, { name, value }* }*         (sorted by Labels.sortKey)
/// metadata name count, { name }*
/// block count, {
///   stream, entry count, minTime z, maxTime - minTime, line bytes, file offset,
///   5 × { stored length << 1 | compressed, raw length, CRC-32C },   (BlockColumn order)
///   metadata name count, { metadata name index }*,
///   bloom word count, bloom probes, bloom words (u64 little-endian)*
/// }*
/// ```
/// Blocks are grouped by stream and, within a stream, ordered by time.
/// Thread-safety: a value type, immutable once written.
struct PartIndex: Sendable, Equatable {
    var minTime: Int64
    var maxTime: Int64
    var highWater: [LogStore.TopicPartition: Int64]
    /// Sequences of the parts this one replaces (compaction); recovery deletes any left.
    var replaces: [UInt64] = []
    var streams: [Labels]
    var metadataNames: [String]
    /// The layout of the blocks. Not serialized: it follows from the footer's version.
    var format = PartFormat.current
    var blocks: [BlockInfo]

    func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.appendStoredZigZag(minTime)
        out.appendStoredZigZag(maxTime)
        HighWaterCoding.append(highWater, to: &out)
        out.appendStoredVarint(replaces.count)
        for sequence in replaces { out.appendStoredVarint(sequence) }
        out.appendStoredVarint(streams.count)
        for labels in streams {
            out.appendStoredVarint(labels.pairs.count)
            for pair in labels.pairs {
                out.appendStoredString(pair.name)
                out.appendStoredString(pair.value)
            }
        }
        out.appendStoredVarint(metadataNames.count)
        for name in metadataNames { out.appendStoredString(name) }
        out.appendStoredVarint(blocks.count)
        for block in blocks {
            out.appendStoredVarint(block.stream)
            out.appendStoredVarint(block.count)
            out.appendStoredZigZag(block.minTime)
            out.appendStoredVarint(UInt64(bitPattern: block.maxTime &- block.minTime))
            out.appendStoredVarint(block.lineBytes)
            out.appendStoredVarint(block.offset)
            for column in block.columns {
                out.appendStoredVarint(column.storedLength << 1 | (column.compressed ? 1 : 0))
                out.appendStoredVarint(column.rawLength)
                out.appendStoredVarint(UInt64(column.checksum))
            }
            out.appendStoredVarint(block.metadataNames.count)
            for name in block.metadataNames { out.appendStoredVarint(name) }
            out.appendStoredVarint(block.bloom.words.count)
            out.appendStoredVarint(block.bloom.probes)
            for word in block.bloom.words { out.appendStoredLittleEndian(word) }
        }
        return out
    }

    /// Decodes an index, checking every reference (stream, name, column range within
    /// `dataEnd`) so that a verified part cannot send a scan out of bounds.
    init(serialized bytes: UnsafeRawBufferPointer, path: String, dataEnd: Int, version: UInt32 = PartFile.version) throws {
        var reader = FieldReader(bytes, path: path)
        minTime = try reader.zigZag()
        maxTime = try reader.zigZag()
        highWater = try HighWaterCoding.read(&reader)
        replaces = []
        format = PartFormat(version: version)
        if version >= 2 {
            for _ in 0..<(try reader.count()) { replaces.append(try reader.varint()) }
        }
        streams = []
        for _ in 0..<(try reader.count()) {
            var labels = Labels()
            for _ in 0..<(try reader.count()) {
                let name = try reader.string()
                labels[name] = try reader.string()
            }
            streams.append(labels)
        }
        metadataNames = []
        for _ in 0..<(try reader.count()) { metadataNames.append(try reader.string()) }
        blocks = []
        let blockCount = try reader.count()
        blocks.reserveCapacity(blockCount)
        for _ in 0..<blockCount {
            let stream = try reader.count(limit: max(0, streams.count - 1))
            let count = try reader.count()
            let blockMin = try reader.zigZag()
            let blockMax = blockMin &+ Int64(bitPattern: try reader.varint())
            let lineBytes = try reader.count(limit: Int.max)
            let offset = try reader.count(limit: dataEnd)
            var columns: [ColumnInfo] = []
            var end = offset
            for _ in BlockColumn.allCases {
                let stored = try reader.count(limit: Int.max)
                let raw = try reader.count()
                let checksum = try reader.count(limit: Int(UInt32.max))
                columns.append(ColumnInfo(storedLength: stored >> 1, rawLength: raw, compressed: stored & 1 == 1,
                                          checksum: UInt32(checksum)))
                end += stored >> 1
            }
            guard !streams.isEmpty, count > 0, blockMin <= blockMax, end <= dataEnd else {
                throw reader.corrupt("block at \(offset) is out of bounds")
            }
            var names: [Int] = []
            for _ in 0..<(try reader.count()) { names.append(try reader.count(limit: max(0, metadataNames.count - 1))) }
            guard names.isEmpty || !metadataNames.isEmpty else { throw reader.corrupt("metadata name out of range") }
            let wordCount = try reader.count()
            let probes = try reader.count(limit: 64)
            let wordBytes = try reader.raw(wordCount * 8)
            let words = (0..<wordCount).map { UInt64(littleEndian: wordBytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
            blocks.append(BlockInfo(stream: stream, count: count, minTime: blockMin, maxTime: blockMax,
                                    lineBytes: lineBytes, offset: offset, columns: columns, metadataNames: names,
                                    bloom: TokenBloomFilter(words: words, probes: probes)))
        }
        guard reader.isAtEnd else { throw reader.corrupt("index has \(bytes.count - reader.position) trailing bytes") }
    }

    init(minTime: Int64, maxTime: Int64, highWater: [LogStore.TopicPartition: Int64], streams: [Labels],
         metadataNames: [String], blocks: [BlockInfo]) {
        self.minTime = minTime
        self.maxTime = maxTime
        self.highWater = highWater
        self.streams = streams
        self.metadataNames = metadataNames
        self.blocks = blocks
    }
}

/// High-water marks as a part's index and the committed-offsets file store them: count,
/// then { topic, partition z, offset z } sorted by (topic, partition) so bytes are stable.
enum HighWaterCoding {
    static func append(_ marks: [LogStore.TopicPartition: Int64], to out: inout [UInt8]) {
        out.appendStoredVarint(marks.count)
        for (key, offset) in marks.sorted(by: { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }) {
            out.appendStoredString(key.topic)
            out.appendStoredZigZag(Int64(key.partition))
            out.appendStoredZigZag(offset)
        }
    }

    static func read(_ reader: inout FieldReader) throws -> [LogStore.TopicPartition: Int64] {
        var marks: [LogStore.TopicPartition: Int64] = [:]
        for _ in 0..<(try reader.count()) {
            let topic = try reader.string()
            let partition = Int32(truncatingIfNeeded: try reader.zigZag())
            marks[LogStore.TopicPartition(topic: topic, partition: partition)] = try reader.zigZag()
        }
        return marks
    }
}
