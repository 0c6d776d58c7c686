import CommitLog
import Compression
import KafkaWire
import SluiceModel

/// A block's columns decoded into flat arrays, so that a scan builds each entry from a few
/// array reads instead of allocating per entry (lines and metadata aside).
///
/// Thread-safety: a value type owned by one scan.
struct DecodedBlock {
    var timestamps: [Int64] = []
    var topics: [String] = []
    var topicIndexes: [Int32] = []
    var partitions: [Int32] = []
    var offsets: [Int64] = []
    var lineLengths: [Int32] = []
    /// Start of each line in `lines`; empty when lines were not read.
    var lineStarts: [Int] = []
    var lines: [UInt8] = []
    /// One label set per entry; empty when metadata was not read.
    var metadata: [Labels] = []

    var count: Int { timestamps.count }

    func origin(_ index: Int) -> RecordOrigin {
        RecordOrigin(topic: topics[Int(topicIndexes[index])], partition: partitions[index], offset: offsets[index])
    }

    /// Reads and decodes `block` from `file`. Lines are read only when `needsLines`;
    /// metadata only when `metadataNames` is nil (all) or names one the block holds
    /// (`partMetadataNames` resolves the block's name indexes).
    static func read(_ block: BlockInfo, from file: FileHandle, needsLines: Bool, metadataNames: Set<String>?,
                     partMetadataNames: [String]) throws -> DecodedBlock {
        let wantsMetadata = block[.metadata].rawLength > 0 && (metadataNames.map { names in
            block.metadataNames.contains { names.contains(partMetadataNames[$0]) }
        } ?? true)
        let last: BlockColumn = needsLines ? .lines : (wantsMetadata ? .metadata : .lineLengths)
        let length = block.columnOffset(last) + block[last].storedLength - block.offset
        let bytes = try file.read(at: block.offset, count: length)
        guard bytes.count == length else {
            throw LogStoreError.corrupt(path: file.path, reason: "block at \(block.offset) is cut short")
        }
        var decoded = DecodedBlock()
        try bytes.withUnsafeBytes { stored in
            func column(_ column: BlockColumn) throws -> [UInt8] {
                let info = block[column]
                let start = block.columnOffset(column) - block.offset
                let slice = UnsafeRawBufferPointer(rebasing: stored[start..<(start + info.storedLength)])
                guard CRC32C.checksum(slice) == info.checksum else {
                    throw LogStoreError.corrupt(path: file.path, reason: "checksum of block at \(block.offset) column \(column)")
                }
                guard info.compressed else { return Array(slice) }
                let raw = try CompressionCodec.zstd.decompress(slice, maxOutputBytes: info.rawLength)
                guard raw.count == info.rawLength else {
                    throw LogStoreError.corrupt(path: file.path, reason: "block at \(block.offset) column \(column) size")
                }
                return raw
            }
            try decoded.decodeTimestamps(try column(.timestamps), block: block, path: file.path)
            try decoded.decodeOrigins(try column(.origins), count: block.count, path: file.path)
            try decoded.decodeLineLengths(try column(.lineLengths), count: block.count, path: file.path,
                                          computeStarts: needsLines)
            if wantsMetadata {
                try decoded.decodeMetadata(try column(.metadata), count: block.count, names: metadataNames, path: file.path)
            }
            if needsLines {
                decoded.lines = try column(.lines)
                guard decoded.lines.count == (decoded.lineStarts.last ?? 0) else {
                    throw LogStoreError.corrupt(path: file.path, reason: "block at \(block.offset): line bytes disagree with lengths")
                }
            }
        }
        return decoded
    }

    private mutating func decodeTimestamps(_ raw: [UInt8], block: BlockInfo, path: String) throws {
        try raw.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            var time = block.minTime
            timestamps = try [Int64](unsafeUninitializedCapacity: block.count) { out, initialized in
                for index in 0..<block.count {
                    time &+= Int64(bitPattern: try reader.varint())
                    out[index] = time
                    initialized = index + 1
                }
            }
        }
    }

    private mutating func decodeOrigins(_ raw: [UInt8], count: Int, path: String) throws {
        try raw.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            let topicCount = try reader.count(limit: count)
            for _ in 0..<topicCount { topics.append(try reader.string()) }
            guard topicCount > 0 || count == 0 else { throw reader.corrupt("block without topics") }
            topicIndexes.reserveCapacity(count)
            partitions.reserveCapacity(count)
            offsets.reserveCapacity(count)
            var offset: Int64 = 0
            for _ in 0..<count {
                let topic = try reader.count(limit: max(0, topicCount - 1))
                topicIndexes.append(Int32(topic))
                partitions.append(Int32(truncatingIfNeeded: try reader.zigZag()))
                offset &+= try reader.zigZag()
                offsets.append(offset)
            }
        }
    }

    private mutating func decodeLineLengths(_ raw: [UInt8], count: Int, path: String, computeStarts: Bool) throws {
        try raw.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            lineLengths = try [Int32](unsafeUninitializedCapacity: count) { out, initialized in
                for index in 0..<count {
                    out[index] = Int32(try reader.count())
                    initialized = index + 1
                }
            }
        }
        if computeStarts {
            lineStarts.reserveCapacity(count + 1)
            var start = 0
            lineStarts.append(0)
            for length in lineLengths {
                start += Int(length)
                lineStarts.append(start)
            }
        }
    }

    private mutating func decodeMetadata(_ raw: [UInt8], count: Int, names: Set<String>?, path: String) throws {
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
            for _ in 0..<count {
                var labels = Labels()
                let pairs = try reader.count(limit: nameCount)
                for _ in 0..<pairs {
                    let name = try reader.count(limit: max(0, nameCount - 1))
                    let value = try reader.raw(try reader.count())
                    // Pairs were written in name order, so each set appends at the end.
                    if keep[name] { labels[dictionary[name]] = String(decoding: value, as: UTF8.self) }
                }
                metadata.append(labels)
            }
        }
    }
}
