import CommitLog
import SluiceModel

/// An immutable block file opened for reading (layout: `MetricBlockWriter`). Its series
/// table lives in memory; chunk data is read and decompressed per frame when queried.
///
/// Thread-safety: immutable after `open`; positional reads of its file are safe from any
/// thread, so queries read blocks without the store's lock. The open descriptor keeps the
/// data readable after retention unlinks the file.
final class MetricBlock: Sendable {
    /// Where one chunk lies in its frame's raw bytes.
    struct ChunkMeta: Sendable {
        var minTime: Int64
        var maxTime: Int64
        var offset: Int32
        var count: Int32
        var timestampBytes: Int32
        var valueBytes: Int32
        /// The value stream is `DecimalValues`, not XOR.
        var isDecimal: Bool
    }

    let name: String
    let sequence: UInt64
    let file: FileHandle
    let size: Int
    let minTime: Int64
    let maxTime: Int64
    let sampleCount: Int
    /// The marks (highest consumed offset per partition) when the block was written.
    let marks: [TopicPartition: Int64]
    let frameOffsets: [Int]
    let frameLengths: [Int]
    let frameRawLengths: [Int]
    /// Per series (in the block's order): its frame, and its chunks as
    /// `chunks[firstChunk[s] ..< firstChunk[s + 1]]`.
    let seriesFrame: [Int32]
    let firstChunk: [Int32]
    let chunks: [MetricBlock.ChunkMeta]

    var path: String { file.path }
    var seriesCount: Int { seriesFrame.count }

    private init(name: String, sequence: UInt64, file: FileHandle, size: Int, minTime: Int64, maxTime: Int64,
                 sampleCount: Int, marks: [TopicPartition: Int64], frameOffsets: [Int], frameLengths: [Int],
                 frameRawLengths: [Int], seriesFrame: [Int32], firstChunk: [Int32], chunks: [ChunkMeta]) {
        self.name = name
        self.sequence = sequence
        self.file = file
        self.size = size
        self.minTime = minTime
        self.maxTime = maxTime
        self.sampleCount = sampleCount
        self.marks = marks
        self.frameOffsets = frameOffsets
        self.frameLengths = frameLengths
        self.frameRawLengths = frameRawLengths
        self.seriesFrame = seriesFrame
        self.firstChunk = firstChunk
        self.chunks = chunks
    }

    /// Opens and verifies header, footer and meta; returns the block and its series' label
    /// sets (in the block's order), which the store maps to its ids and does not keep here.
    static func open(path: String, name: String, sequence: UInt64) throws -> (block: MetricBlock, labels: [Labels]) {
        let file = try FileHandle.open(path, readOnly: true)
        let size = try file.size()
        func corrupt(_ reason: String) -> MetricStoreError { .corrupt(path: path, reason: reason) }
        let headerSize = MetricBlockWriter.headerSize, footerSize = MetricBlockWriter.footerSize
        guard size >= headerSize + footerSize else { throw corrupt("\(size) bytes is shorter than a header and a footer") }
        let header = try file.read(at: 0, count: headerSize)
        guard header.count == headerSize, Array(header[..<8]) == MetricBlockWriter.magic else { throw corrupt("no header magic") }
        let version = header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
        guard MetricBlockWriter.readableVersions.contains(version) else { throw corrupt("unknown format version \(version)") }
        let footer = try file.read(at: size - footerSize, count: footerSize)
        guard footer.count == footerSize, Array(footer[32...]) == MetricBlockWriter.magic else { throw corrupt("no footer magic") }
        let (metaOffset, metaLength, metaRawLength, metaChecksum, footerChecksum) = footer.withUnsafeBytes { raw in
            (Int(truncatingIfNeeded: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))),
             Int(truncatingIfNeeded: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))),
             Int(truncatingIfNeeded: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))),
             UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self)),
             UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 28, as: UInt32.self)))
        }
        guard CRC32C.checksum(footer[..<28]) == footerChecksum else { throw corrupt("footer checksum mismatch") }
        guard metaOffset >= headerSize, metaLength > 0, metaOffset <= size - footerSize - metaLength,
              metaOffset + metaLength == size - footerSize, metaRawLength >= 0, metaRawLength < 1 << 31 else {
            throw corrupt("meta bounds \(metaOffset)+\(metaLength) do not fit \(size) bytes")
        }
        let compressedMeta = try file.read(at: metaOffset, count: metaLength)
        guard CRC32C.checksum(compressedMeta) == metaChecksum else { throw corrupt("meta checksum mismatch") }
        let meta = try compressedMeta.withUnsafeBytes {
            try ZstdFrameCodec().decompress($0, rawLength: metaRawLength, path: path, what: "the meta section")
        }
        return try meta.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            let minTime = try reader.zigZag()
            let maxTime = try reader.zigZag()
            let sampleCount = try reader.count(limit: Int.max)
            var marks: [TopicPartition: Int64] = [:]
            for _ in 0..<(try reader.count(limit: raw.count)) {
                let topic = try reader.string()
                let partition = try reader.zigZag()
                guard let partition = Int32(exactly: partition) else { throw reader.corrupt("partition \(partition) out of range") }
                marks[TopicPartition(topic: topic, partition: partition)] = try reader.zigZag()
            }
            let frameCount = try reader.count(limit: raw.count)
            var frameOffsets: [Int] = [], frameLengths: [Int] = [], frameRawLengths: [Int] = []
            var position = headerSize
            for _ in 0..<frameCount {
                let length = try reader.count(limit: metaOffset - position)
                frameOffsets.append(position)
                frameLengths.append(length)
                frameRawLengths.append(try reader.count(limit: 1 << 30))
                position += length
            }
            guard position == metaOffset else { throw reader.corrupt("frames end at byte \(position), meta starts at \(metaOffset)") }
            let seriesCount = try reader.count(limit: raw.count)
            guard frameCount > 0 || seriesCount == 0 else { throw reader.corrupt("\(seriesCount) series but no frame") }
            var labels: [Labels] = []
            var seriesFrame: [Int32] = [], firstChunk: [Int32] = []
            var chunks: [ChunkMeta] = []
            labels.reserveCapacity(seriesCount)
            seriesFrame.reserveCapacity(seriesCount)
            firstChunk.reserveCapacity(seriesCount + 1)
            var samples = 0
            for _ in 0..<seriesCount {
                var pairs: [(name: String, value: String)] = []
                for _ in 0..<(try reader.count(limit: raw.count)) {
                    pairs.append((try reader.string(), try reader.string()))
                }
                let set = Labels(unsortedPairs: pairs)
                guard set.pairs.count == pairs.count, !set.isEmpty else { throw reader.corrupt("series \(labels.count) has a bad label set") }
                labels.append(set)
                let frame = try reader.count(limit: max(0, frameCount - 1))
                var offset = try reader.count(limit: frameRawLengths.isEmpty ? 0 : frameRawLengths[frame])
                seriesFrame.append(Int32(frame))
                firstChunk.append(Int32(chunks.count))
                let count = try reader.count(limit: raw.count)
                guard count > 0 else { throw reader.corrupt("series \(set) has no chunk") }
                for _ in 0..<count {
                    let chunkMin = try reader.zigZag()
                    let span = try reader.varint()
                    let chunkMax = chunkMin &+ Int64(bitPattern: span)
                    let sampleCount = try reader.count(limit: 1 << 20)
                    let timestampBytes = try reader.count(limit: 1 << 24)
                    let valueField = try reader.count(limit: 1 << 25)
                    let (valueBytes, isDecimal) = version >= 2 ? (valueField >> 1, valueField & 1 == 1) : (valueField, false)
                    guard chunkMax >= chunkMin, sampleCount > 0,
                          offset + timestampBytes + valueBytes <= frameRawLengths[frame] else {
                        throw reader.corrupt("chunk of \(set) does not fit its frame")
                    }
                    chunks.append(ChunkMeta(minTime: chunkMin, maxTime: chunkMax, offset: Int32(offset), count: Int32(sampleCount),
                                            timestampBytes: Int32(timestampBytes), valueBytes: Int32(valueBytes),
                                            isDecimal: isDecimal))
                    offset += timestampBytes + valueBytes
                    samples += sampleCount
                }
            }
            firstChunk.append(Int32(chunks.count))
            guard reader.isAtEnd else { throw reader.corrupt("trailing bytes in the meta section") }
            guard samples == sampleCount else { throw reader.corrupt("series hold \(samples) samples, meta says \(sampleCount)") }
            let block = MetricBlock(name: name, sequence: sequence, file: file, size: size, minTime: minTime, maxTime: maxTime,
                                    sampleCount: sampleCount, marks: marks, frameOffsets: frameOffsets, frameLengths: frameLengths,
                                    frameRawLengths: frameRawLengths, seriesFrame: seriesFrame, firstChunk: firstChunk, chunks: chunks)
            return (block, labels)
        }
    }

    /// The raw bytes of frame `index`, verified by zstd's checksum.
    func readFrame(_ index: Int, codec: ZstdFrameCodec) throws -> [UInt8] {
        let compressed = try file.read(at: frameOffsets[index], count: frameLengths[index])
        guard compressed.count == frameLengths[index] else {
            throw MetricStoreError.corrupt(path: path, reason: "frame \(index) is cut short")
        }
        return try compressed.withUnsafeBytes {
            try codec.decompress($0, rawLength: frameRawLengths[index], path: path, what: "frame \(index)")
        }
    }

    /// Decodes series `local`'s samples in `start...end`, appending them; `frame` caches the
    /// frame last read (series of one frame are usually read one after another).
    func decode(series local: Int, from start: Int64, through end: Int64, codec: ZstdFrameCodec,
                frame: inout (index: Int, bytes: [UInt8])?,
                into timestamps: inout [Int64], _ values: inout [Double]) throws {
        let first = Int(firstChunk[local]), last = Int(firstChunk[local + 1])
        guard first < last, chunks[first].minTime <= end, chunks[last - 1].maxTime >= start else { return }
        let frameIndex = Int(seriesFrame[local])
        if frame?.index != frameIndex { frame = (frameIndex, try readFrame(frameIndex, codec: codec)) }
        guard let bytes = frame?.bytes else { return }
        try bytes.withUnsafeBytes { raw in
            for chunk in chunks[first..<last] where chunk.maxTime >= start && chunk.minTime <= end {
                let offset = Int(chunk.offset), split = offset + Int(chunk.timestampBytes)
                let timeStream = UnsafeRawBufferPointer(rebasing: raw[offset..<split])
                let valueStream = UnsafeRawBufferPointer(rebasing: raw[split..<(split + Int(chunk.valueBytes))])
                do {
                    if chunk.isDecimal {
                        try Self.decodeDecimal(times: timeStream, values: valueStream, count: Int(chunk.count),
                                               from: start, through: end, into: &timestamps, &values)
                    } else {
                        try XORChunk.decode(timestamps: timeStream, values: valueStream,
                                            count: Int(chunk.count), from: start, through: end, into: &timestamps, &values)
                    }
                } catch let error as XORChunkError {
                    throw MetricStoreError.corrupt(path: path, reason: "\(error)")
                }
            }
        }
    }

    /// A decimal chunk's samples in `start...end`, appended.
    private static func decodeDecimal(times: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer, count: Int,
                                      from start: Int64, through end: Int64,
                                      into timestamps: inout [Int64], _ output: inout [Double]) throws {
        var chunkTimes: [Int64] = [], chunkValues: [Double] = []
        chunkTimes.reserveCapacity(count)
        chunkValues.reserveCapacity(count)
        try XORChunk.decodeTimestamps(times, count: count, into: &chunkTimes)
        try DecimalValues.decode(values, count: count, into: &chunkValues)
        if chunkTimes[0] >= start, chunkTimes[count - 1] <= end {
            timestamps.append(contentsOf: chunkTimes)
            output.append(contentsOf: chunkValues)
            return
        }
        for index in 0..<count where chunkTimes[index] >= start && chunkTimes[index] <= end {
            timestamps.append(chunkTimes[index])
            output.append(chunkValues[index])
        }
    }

    /// Whether series `local` has a sample time in `start...end` by its chunks' bounds.
    func hasChunk(series local: Int, from start: Int64, through end: Int64) -> Bool {
        let first = Int(firstChunk[local]), last = Int(firstChunk[local + 1])
        return chunks[first..<last].contains { $0.maxTime >= start && $0.minTime <= end }
    }

    /// The newest sample time of series `local`.
    func maxTime(series local: Int) -> Int64 {
        let first = Int(firstChunk[local]), last = Int(firstChunk[local + 1])
        return chunks[first..<last].reduce(Int64.min) { max($0, $1.maxTime) }
    }
}
