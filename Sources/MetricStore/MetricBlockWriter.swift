import CommitLog
import SluiceModel

/// Builds a block file: the head's chunks, written once and never changed.
///
/// Byte layout (integers little-endian; varints LEB128, signed ones zig-zag):
/// ```
/// header   16 bytes   magic "SLUICEMB" | format version u32 | 0 u32
/// data     frames back to back from byte 16: each one zstd frame (with zstd's content
///          checksum, XXH64-based, verified when decompressed) of the raw bytes of whole
///          series' chunks; a chunk's raw bytes are its timestamp stream (`XORChunk`) then
///          its value stream: Gorilla's XOR stream (`XORChunk`) or, when smaller, scaled
///          decimal integers (`DecimalValues`); a series' chunks are consecutive in one frame
/// meta     one zstd frame of:
///            min time, max time (zig-zag), sample count
///            marks: count; per mark: topic (length + UTF-8), partition (zig-zag), offset (zig-zag)
///            frames: count; per frame: compressed length, raw length
///            series: count; per series: label count; per label: name, value (length + UTF-8);
///              frame, byte offset in the frame's raw bytes, chunk count;
///              per chunk: min time (zig-zag), max - min, sample count,
///              timestamp stream bytes, value stream bytes << 1 | 1 if decimal (format 1:
///              value stream bytes, always XOR)
/// footer   40 bytes   meta offset u64 | meta length u64 | meta raw length u64 |
///                     meta CRC-32C u32 | CRC-32C of the 28 bytes before it u32 | magic "SLUICEMB"
/// ```
/// The store writes it to a temporary name, fsyncs, renames and fsyncs the folder, so a
/// visible block is whole unless the disk damaged it: `MetricBlock.open` verifies header,
/// footer and meta; each frame is verified when a query decompresses it.
enum MetricBlockWriter {
    static let magic: [UInt8] = Array("SLUICEMB".utf8)
    static let version: UInt32 = 2
    /// Formats `MetricBlock` reads.
    static let readableVersions: ClosedRange<UInt32> = 1...2
    static let headerSize = 16
    static let footerSize = 40

    /// One series as the block stores it: its label set and chunks in time order.
    struct Series {
        var labels: Labels
        var chunks: [XORChunk]
    }

    /// The chunk's value stream as the block stores it: decimal when that is no larger.
    static func valueStream(of chunk: XORChunk) throws -> (bytes: ArraySlice<UInt8>, isDecimal: Bool) {
        let xor = chunk.bytes[chunk.timestampByteCount...]
        var times: [Int64] = [], values: [Double] = []
        times.reserveCapacity(chunk.count)
        values.reserveCapacity(chunk.count)
        try chunk.decode(into: &times, &values)
        if let decimal = DecimalValues.encode(values), decimal.count <= xor.count { return (decimal[...], true) }
        return (xor, false)
    }

    /// The block's bytes. `formatVersion` 1 (XOR values only, no flag) exists so that tests
    /// can write the old format and prove it stays readable; the store writes `version`.
    static func build(_ series: [Series], marks: [TopicPartition: Int64],
                      level: Int, frameTargetBytes: Int, formatVersion: UInt32 = version) throws -> [UInt8] {
        precondition(readableVersions.contains(formatVersion), "no writer for block format \(formatVersion)")
        let codec = ZstdFrameCodec(level: level)
        var out = magic
        out.appendStoredLittleEndian(formatVersion)
        out.appendStoredLittleEndian(UInt32(0))

        var minTime = Int64.max, maxTime = Int64.min, samples = 0
        var frames: [(compressed: Int, raw: Int)] = []
        var raw: [UInt8] = []
        raw.reserveCapacity(frameTargetBytes + (64 << 10))
        var seriesTable: [UInt8] = []
        seriesTable.appendStoredVarint(series.count)
        func closeFrame() throws {
            guard !raw.isEmpty else { return }
            let length = try raw.withUnsafeBytes { try codec.compress($0, appendingTo: &out) }
            frames.append((length, raw.count))
            raw.removeAll(keepingCapacity: true)
        }
        for entry in series {
            if raw.count >= frameTargetBytes { try closeFrame() }
            seriesTable.appendStoredVarint(entry.labels.pairs.count)
            for pair in entry.labels {
                seriesTable.appendStoredString(pair.name)
                seriesTable.appendStoredString(pair.value)
            }
            seriesTable.appendStoredVarint(frames.count)
            seriesTable.appendStoredVarint(raw.count)
            seriesTable.appendStoredVarint(entry.chunks.count)
            for chunk in entry.chunks {
                seriesTable.appendStoredZigZag(chunk.minTime)
                seriesTable.appendStoredVarint(UInt64(bitPattern: chunk.maxTime &- chunk.minTime))
                seriesTable.appendStoredVarint(chunk.count)
                seriesTable.appendStoredVarint(chunk.timestampByteCount)
                let values: (bytes: ArraySlice<UInt8>, isDecimal: Bool)
                if formatVersion == 1 {
                    values = (chunk.bytes[chunk.timestampByteCount...], false)
                    seriesTable.appendStoredVarint(values.bytes.count)
                } else {
                    values = try valueStream(of: chunk)
                    seriesTable.appendStoredVarint(values.bytes.count << 1 | (values.isDecimal ? 1 : 0))
                }
                raw.append(contentsOf: chunk.bytes[..<chunk.timestampByteCount])
                raw.append(contentsOf: values.bytes)
                minTime = min(minTime, chunk.minTime)
                maxTime = max(maxTime, chunk.maxTime)
                samples += chunk.count
            }
        }
        try closeFrame()

        var meta: [UInt8] = []
        meta.appendStoredZigZag(minTime == .max ? 0 : minTime)
        meta.appendStoredZigZag(maxTime == .min ? 0 : maxTime)
        meta.appendStoredVarint(samples)
        meta.appendStoredVarint(marks.count)
        for (partition, offset) in marks.sorted(by: { $0.key < $1.key }) {
            meta.appendStoredString(partition.topic)
            meta.appendStoredZigZag(Int64(partition.partition))
            meta.appendStoredZigZag(offset)
        }
        meta.appendStoredVarint(frames.count)
        for frame in frames {
            meta.appendStoredVarint(frame.compressed)
            meta.appendStoredVarint(frame.raw)
        }
        meta.append(contentsOf: seriesTable)

        let metaOffset = out.count
        let metaLength = try meta.withUnsafeBytes { try codec.compress($0, appendingTo: &out) }
        var footer: [UInt8] = []
        footer.appendStoredLittleEndian(UInt64(metaOffset))
        footer.appendStoredLittleEndian(UInt64(metaLength))
        footer.appendStoredLittleEndian(UInt64(meta.count))
        footer.appendStoredLittleEndian(CRC32C.checksum(out[metaOffset...]))
        footer.appendStoredLittleEndian(CRC32C.checksum(footer))
        footer.append(contentsOf: magic)
        out.append(contentsOf: footer)
        return out
    }
}
