import Compression

/// A RecordBatch v2 whose framing, magic and CRC have been checked.
///
/// `bytes` is the batch exactly as it travels and as the commit log stores it.
public struct RecordBatch: Sendable {
    /// Default ceiling on the decompressed size of one batch's records.
    public static let defaultMaxDecompressedBytes = 64 << 20

    public let bytes: [UInt8]
    public let header: RecordBatchHeader

    /// Validates `bytes` as exactly one batch (see `validate(_:)`).
    public init(validating bytes: [UInt8]) throws {
        self.header = try bytes.withUnsafeBytes { (buffer) throws in try Self.validate(buffer) }
        self.bytes = bytes
    }

    /// Checks that `buffer` holds exactly one well-formed batch: size, Length, magic 2,
    /// CRC-32C over bytes 21…end, a known codec, and RecordsCount = LastOffsetDelta + 1 > 0.
    /// Records themselves are not decoded (that would mean decompressing).
    @discardableResult
    public static func validate(_ buffer: UnsafeRawBufferPointer) throws -> RecordBatchHeader {
        let header: RecordBatchHeader
        do { header = try RecordBatchHeader(parsing: buffer) } catch { throw RecordBatchError.corrupt("\(error)") }
        guard header.magic == 2 else { throw RecordBatchError.unsupportedMagic(header.magic) }
        guard header.length >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead),
              header.totalSize == buffer.count
        else {
            throw RecordBatchError.corrupt("Length field says \(header.totalSize) bytes but the batch has \(buffer.count)")
        }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[RecordBatchHeader.crcCoverageStart...]))
        guard crc == header.crc else {
            throw RecordBatchError.corrupt("CRC-32C mismatch: header has \(hex(header.crc)), bytes give \(hex(crc))")
        }
        guard header.compression != nil else { throw RecordBatchError.unsupportedCompression(Int8(header.attributes & 0x07)) }
        guard header.recordsCount > 0, header.lastOffsetDelta == header.recordsCount - 1 else {
            throw RecordBatchError.invalidRecord("RecordsCount \(header.recordsCount) with LastOffsetDelta \(header.lastOffsetDelta)")
        }
        return header
    }

    /// The records, decompressed when needed, with absolute offsets and timestamps.
    public func records(maxDecompressedBytes: Int = defaultMaxDecompressedBytes) throws -> [Record] {
        let header = self.header
        return try bytes.withUnsafeBytes { (buffer) throws in
            try Self.decodeRecords(buffer, header: header, maxDecompressedBytes: maxDecompressedBytes)
        }
    }

    /// Validates and decodes every batch in `buffer`, which holds whole batches back to back
    /// (as a commit log read returns them); a cut-off batch at the end is an error.
    public static func records(inBatches buffer: UnsafeRawBufferPointer,
                               maxDecompressedBytes: Int = defaultMaxDecompressedBytes) throws -> [Record] {
        var records: [Record] = []
        var position = 0
        while position < buffer.count {
            guard let (_, size) = RecordBatchHeader.peekFraming(buffer, at: position), size > 0, position + size <= buffer.count else {
                throw RecordBatchError.corrupt("batch at byte \(position) does not fit in the \(buffer.count) bytes given")
            }
            let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<position + size])
            records += try decodeRecords(slice, header: try validate(slice), maxDecompressedBytes: maxDecompressedBytes)
            position += size
        }
        return records
    }

    /// Decodes the records of a batch already validated by `validate(_:)`.
    public static func decodeRecords(
        _ batch: UnsafeRawBufferPointer, header: RecordBatchHeader,
        maxDecompressedBytes: Int = defaultMaxDecompressedBytes
    ) throws -> [Record] {
        let payload = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
        guard let compression = header.compression else {
            throw RecordBatchError.unsupportedCompression(Int8(header.attributes & 0x07))
        }
        guard let codec = compression.codec else {
            return try parseRecords(payload, header: header)
        }
        let inflated: [UInt8]
        do {
            inflated = try codec.decompress(payload, maxOutputBytes: maxDecompressedBytes)
        } catch {
            throw RecordBatchError.decompression("\(compression): \(error)")
        }
        return try inflated.withUnsafeBytes { (buffer) throws in
            try parseRecords(buffer, header: header)
        }
    }

    private static func parseRecords(_ payload: UnsafeRawBufferPointer, header: RecordBatchHeader) throws -> [Record] {
        // Each record takes at least 7 bytes (length, attributes, two deltas, key and value
        // lengths, header count), so a count the payload cannot hold is refused before any
        // allocation sized by it.
        guard Int(header.recordsCount) <= payload.count / 7 else {
            throw RecordBatchError.invalidRecord("\(header.recordsCount) records cannot fit in \(payload.count) bytes")
        }
        var reader = ByteReader(payload)
        var records: [Record] = []
        records.reserveCapacity(min(Int(header.recordsCount), 4096))
        do {
            for index in 0..<Int(header.recordsCount) {
                let recordStart = reader.position
                let length = try reader.readVarint()
                guard length >= 0, Int(length) <= reader.remaining else {
                    throw WireError("record \(index) length \(length) exceeds the \(reader.remaining) bytes left", at: recordStart)
                }
                let end = reader.position + Int(length)
                _ = try reader.readInt8()  // record attributes, unused
                let timestampDelta = try reader.readVarlong()
                let offsetDelta = try reader.readVarint()
                guard offsetDelta == Int32(index) else {
                    throw WireError("record \(index) has offset delta \(offsetDelta)", at: recordStart)
                }
                let key = try reader.readVarintPrefixedBytes()
                let value = try reader.readVarintPrefixedBytes()
                let headerCount = try reader.readVarint()
                guard headerCount >= 0 else { throw WireError("negative header count \(headerCount)", at: reader.position) }
                var headers: [RecordHeader] = []
                for _ in 0..<Int(headerCount) {
                    let keyStart = reader.position
                    guard let keyBytes = try reader.readVarintPrefixedBytes() else {
                        throw WireError("null header key", at: keyStart)
                    }
                    headers.append(RecordHeader(key: String(decoding: keyBytes, as: UTF8.self), value: try reader.readVarintPrefixedBytes()))
                }
                guard reader.position == end else {
                    throw WireError("record \(index) framing says \(length) bytes but its fields take \(reader.position - recordStart)", at: recordStart)
                }
                let timestamp = header.usesLogAppendTime ? header.maxTimestamp : header.baseTimestamp &+ timestampDelta
                records.append(Record(
                    offset: header.baseOffset &+ Int64(offsetDelta), timestamp: timestamp,
                    key: key, value: value, headers: headers))
            }
        } catch {
            throw RecordBatchError.invalidRecord("\(error)")
        }
        guard reader.remaining == 0 else {
            throw RecordBatchError.invalidRecord("\(reader.remaining) bytes after the last of \(header.recordsCount) records")
        }
        return records
    }
}

extension CompressionType {
    /// The codec that decodes this type's payload; nil for `.none`.
    public var codec: CompressionCodec? {
        switch self {
        case .none: nil
        case .gzip: .gzip
        case .snappy: .snappy
        case .lz4: .lz4
        case .zstd: .zstd
        }
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
