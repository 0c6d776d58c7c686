/// The 61-byte header of a Kafka RecordBatch (magic 2).
///
/// Byte layout (all integers big-endian):
/// ```
/// off size field
///   0   8  BaseOffset            assigned by the broker; outside the CRC
///   8   4  Length                batch bytes − 12
///  12   4  PartitionLeaderEpoch  outside the CRC
///  16   1  Magic                 2
///  17   4  CRC                   CRC-32C of bytes 21…end
///  21   2  Attributes            bits 0–2 codec, 3 LogAppendTime, 4 transactional, 5 control
///  23   4  LastOffsetDelta       record count − 1
///  27   8  BaseTimestamp
///  35   8  MaxTimestamp
///  43   8  ProducerId            −1 unless idempotent
///  51   2  ProducerEpoch
///  53   4  BaseSequence
///  57   4  RecordsCount          never compressed
///  61   …  Records               one compressed blob when the codec is not none
/// ```
public struct RecordBatchHeader: Sendable, Equatable {
    public static let size = 61
    /// Bytes before the Length field's span starts (BaseOffset + Length).
    public static let logOverhead = 12
    /// The CRC covers bytes from here to the end of the batch.
    public static let crcCoverageStart = 21

    public enum Offset {
        public static let baseOffset = 0
        public static let length = 8
        public static let partitionLeaderEpoch = 12
        public static let magic = 16
        public static let crc = 17
        public static let attributes = 21
        public static let lastOffsetDelta = 23
        public static let baseTimestamp = 27
        public static let maxTimestamp = 35
        public static let producerId = 43
        public static let producerEpoch = 51
        public static let baseSequence = 53
        public static let recordsCount = 57
    }

    public var baseOffset: Int64
    /// Batch size − 12.
    public var length: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordsCount: Int32

    /// Whole batch size in bytes, header included.
    public var totalSize: Int { Int(length) + Self.logOverhead }
    /// Offset of the batch's last record (wrapping, so that a hostile header cannot trap).
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The offset after this batch.
    public var nextOffset: Int64 { lastOffset &+ 1 }

    public var compression: CompressionType? { CompressionType(rawValue: Int8(attributes & 0x07)) }
    public var usesLogAppendTime: Bool { attributes & 0x08 != 0 }
    public var isTransactional: Bool { attributes & 0x10 != 0 }
    public var isControl: Bool { attributes & 0x20 != 0 }

    /// Decodes the header fields at the start of `buffer`; checks only that 61 bytes exist.
    public init(parsing buffer: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(buffer)
        guard buffer.count >= Self.size else {
            throw WireError("truncated record batch header: \(buffer.count) of \(Self.size) bytes", at: 0)
        }
        baseOffset = try reader.readBigEndian(Int64.self)
        length = try reader.readBigEndian(Int32.self)
        partitionLeaderEpoch = try reader.readBigEndian(Int32.self)
        magic = try reader.readInt8()
        crc = try reader.readBigEndian(UInt32.self)
        attributes = try reader.readBigEndian(Int16.self)
        lastOffsetDelta = try reader.readBigEndian(Int32.self)
        baseTimestamp = try reader.readBigEndian(Int64.self)
        maxTimestamp = try reader.readBigEndian(Int64.self)
        producerId = try reader.readBigEndian(Int64.self)
        producerEpoch = try reader.readBigEndian(Int16.self)
        baseSequence = try reader.readBigEndian(Int32.self)
        recordsCount = try reader.readBigEndian(Int32.self)
    }

    /// Reads only BaseOffset and Length (the first 12 bytes), for walking a log.
    public static func peekFraming(_ buffer: UnsafeRawBufferPointer, at position: Int) -> (baseOffset: Int64, totalSize: Int)? {
        guard position >= 0, buffer.count - position >= logOverhead else { return nil }
        let base = Int64(bigEndian: buffer.loadUnaligned(fromByteOffset: position, as: Int64.self))
        let length = Int32(bigEndian: buffer.loadUnaligned(fromByteOffset: position + 8, as: Int32.self))
        return (base, Int(length) + logOverhead)
    }
}

/// The codec in a RecordBatch's attribute bits 0–2.
public enum CompressionType: Int8, Sendable, CaseIterable {
    case none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4
}
