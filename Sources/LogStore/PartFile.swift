import CommitLog
import KafkaWire
import SluiceModel

/// The byte layout of a part file, written once and never changed:
/// ```
/// block 0 columns | block 1 columns | … | index (PartIndex) | footer (32 bytes)
/// footer: index offset u64, index length u64, index CRC-32C u32, version u32, magic "SLUICELP"
///         (all little-endian)
/// ```
/// A part is written to a temporary name, fsynced, renamed and its folder fsynced, so a
/// visible part is whole unless the disk damaged it: the footer's magic and the index's
/// checksum are verified at open, each column's checksum when it is read.
enum PartFile {
    static let magic: [UInt8] = Array("SLUICELP".utf8)
    /// 2 added the replaced-parts list to the index; version 1 parts (without it) still open.
    /// 3 stores metadata values that occur in the line as references into it.
    /// 4 stores the lines column as token columns (`TokenColumns`) and timestamp deltas
    /// divided by a power of ten (`BlockEncoder`).
    static let version: UInt32 = 4
    static let footerSize = 32

    /// The footer for an index at `indexOffset`.
    static func footer(indexOffset: Int, index: [UInt8], version: UInt32 = version) -> [UInt8] {
        var out: [UInt8] = []
        out.appendStoredLittleEndian(UInt64(indexOffset))
        out.appendStoredLittleEndian(UInt64(index.count))
        out.appendStoredLittleEndian(CRC32C.checksum(index))
        out.appendStoredLittleEndian(version)
        out.append(contentsOf: magic)
        return out
    }

    /// Reads and verifies a part's footer and index.
    static func readIndex(_ file: FileHandle) throws -> (index: PartIndex, size: Int) {
        let size = try file.size()
        func corrupt(_ reason: String) -> LogStoreError { .corrupt(path: file.path, reason: reason) }
        guard size >= footerSize else { throw corrupt("\(size) bytes is shorter than a footer") }
        let footer = try file.read(at: size - footerSize, count: footerSize)
        guard footer.count == footerSize, Array(footer[24...]) == magic else { throw corrupt("no footer magic") }
        return try footer.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: file.path)
            let indexOffset = try reader.littleEndian(UInt64.self)
            let indexLength = try reader.littleEndian(UInt64.self)
            let checksum = try reader.littleEndian(UInt32.self)
            let version = try reader.littleEndian(UInt32.self)
            guard (1...Self.version).contains(version) else { throw corrupt("unknown version \(version)") }
            guard indexOffset <= UInt64(size - footerSize), indexLength == UInt64(size - footerSize) - indexOffset else {
                throw corrupt("index bounds \(indexOffset)+\(indexLength) do not fit \(size) bytes")
            }
            let index = try file.read(at: Int(indexOffset), count: Int(indexLength))
            guard index.count == Int(indexLength), CRC32C.checksum(index) == checksum else {
                throw corrupt("index checksum mismatch")
            }
            let decoded = try index.withUnsafeBytes {
                try PartIndex(serialized: $0, path: file.path, dataEnd: Int(indexOffset), version: version)
            }
            return (decoded, size)
        }
    }
}

/// The committed-offsets file: magic "SLUICEHW", the marks (`HighWaterCoding`), CRC-32C of
/// the marks (u32 little-endian). Replaced atomically after each part is durable.
enum CommittedOffsetsFile {
    static let magic: [UInt8] = Array("SLUICEHW".utf8)

    static func serialized(_ marks: [LogStore.TopicPartition: Int64]) -> [UInt8] {
        var body: [UInt8] = []
        HighWaterCoding.append(marks, to: &body)
        var out = magic
        out.append(contentsOf: body)
        out.appendStoredLittleEndian(CRC32C.checksum(body))
        return out
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> [LogStore.TopicPartition: Int64] {
        guard bytes.count >= magic.count + 4, Array(bytes[..<magic.count]) == magic else {
            throw LogStoreError.corrupt(path: path, reason: "no magic")
        }
        let body = bytes[magic.count..<(bytes.count - 4)]
        let stored = bytes[(bytes.count - 4)...].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard CRC32C.checksum(body) == stored else { throw LogStoreError.corrupt(path: path, reason: "checksum mismatch") }
        return try body.withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            let marks = try HighWaterCoding.read(&reader)
            guard reader.isAtEnd else { throw reader.corrupt("trailing bytes") }
            return marks
        }
    }
}

/// What a part's format version (`PartFile.version` when written, the footer's when read)
/// says about its block layout.
struct PartFormat: Sendable, Equatable {
    var version: UInt32

    static let current = PartFormat(version: PartFile.version)

    /// 3+: metadata values found in their entry's line are references into it.
    var metadataReferencesLines: Bool { version >= 3 }
    /// 4+: the lines column holds token columns (`TokenColumns`).
    var tokenColumns: Bool { version >= 4 }
    /// 4+: the timestamps column starts with a power of ten that divides every delta.
    var scaledTimestamps: Bool { version >= 4 }
    /// 4+: a metadata value spanning whole tokens of its line is a reference to those
    /// tokens (first token, token count), which repeat from line to line of one format.
    var tokenReferences: Bool { version >= 4 }
}
