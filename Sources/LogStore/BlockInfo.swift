/// The columns of a block, in their order in the file. Lines come last so that a scan
/// that does not need them reads one contiguous range without them.
enum BlockColumn: Int, CaseIterable, Sendable {
    case timestamps, origins, lineLengths, metadata, lines
}

/// Where one column is and how to check it.
struct ColumnInfo: Sendable, Equatable {
    /// Bytes in the file.
    var storedLength: Int
    /// Bytes after decompression.
    var rawLength: Int
    /// zstd frame, or stored as is (when compressing did not pay).
    var compressed: Bool
    /// CRC-32C of the stored bytes.
    var checksum: UInt32
}

/// One block's entry in a part's index: enough to skip it (stream, time bounds, metadata
/// names, bloom filter) or to read just the columns a scan needs.
///
/// Thread-safety: a value type, immutable once the part is written.
struct BlockInfo: Sendable, Equatable {
    /// Index into the part's stream table.
    var stream: Int
    var count: Int
    var minTime: Int64
    var maxTime: Int64
    /// Sum of the entries' line lengths.
    var lineBytes: Int
    /// File offset of the first column; the others follow back to back.
    var offset: Int
    /// In `BlockColumn` order.
    var columns: [ColumnInfo]
    /// Indexes into the part's metadata name table of the names any entry has, ascending.
    var metadataNames: [Int]
    var bloom: TokenBloomFilter

    func columnOffset(_ column: BlockColumn) -> Int {
        offset + columns[..<column.rawValue].reduce(0) { $0 + $1.storedLength }
    }

    var storedLength: Int { columns.reduce(0) { $0 + $1.storedLength } }

    subscript(_ column: BlockColumn) -> ColumnInfo { columns[column.rawValue] }
}
