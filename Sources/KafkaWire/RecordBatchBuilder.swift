import Compression

/// Builds RecordBatch v2 bytes from records, as a producer would.
public struct RecordBatchBuilder: Sendable {
    public var compression: CompressionType
    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var usesLogAppendTime: Bool

    public init(
        compression: CompressionType = .none, baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
        usesLogAppendTime: Bool = false
    ) {
        self.compression = compression
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.usesLogAppendTime = usesLogAppendTime
    }

    /// A batch of `records` (at least one). Offsets in `records` are ignored: record i gets
    /// offset delta i. BaseTimestamp is the first record's timestamp, as Kafka's producer sets it.
    public func build(_ records: [Record]) throws -> RecordBatch {
        guard let first = records.first else { throw RecordBatchError.invalidRecord("a batch needs at least one record") }
        let baseTimestamp = first.timestamp
        var maxTimestamp = Int64.min
        var payload: [UInt8] = []
        var body: [UInt8] = []
        for (index, record) in records.enumerated() {
            maxTimestamp = max(maxTimestamp, record.timestamp)
            body.removeAll(keepingCapacity: true)
            body.append(0)  // record attributes
            body.appendVarint(record.timestamp &- baseTimestamp)
            body.appendVarint(Int64(index))
            body.appendVarintPrefixedBytes(record.key)
            body.appendVarintPrefixedBytes(record.value)
            body.appendVarint(Int64(record.headers.count))
            for header in record.headers {
                body.appendVarintPrefixedBytes(Array(header.key.utf8))
                body.appendVarintPrefixedBytes(header.value)
            }
            payload.appendVarint(Int64(body.count))
            payload.append(contentsOf: body)
        }
        if let codec = compression.codec {
            payload = try payload.withUnsafeBytes { try codec.compress($0) }
        }

        var attributes = Int16(compression.rawValue)
        if usesLogAppendTime { attributes |= 0x08 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(RecordBatchHeader.size + payload.count)
        bytes.appendBigEndian(baseOffset)
        bytes.appendBigEndian(Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + payload.count))
        bytes.appendBigEndian(partitionLeaderEpoch)
        bytes.append(2)  // magic
        bytes.appendBigEndian(UInt32(0))  // CRC, filled in below
        bytes.appendBigEndian(attributes)
        bytes.appendBigEndian(Int32(records.count - 1))
        bytes.appendBigEndian(baseTimestamp)
        bytes.appendBigEndian(maxTimestamp)
        bytes.appendBigEndian(producerId)
        bytes.appendBigEndian(producerEpoch)
        bytes.appendBigEndian(baseSequence)
        bytes.appendBigEndian(Int32(records.count))
        bytes.append(contentsOf: payload)
        let crc = bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.crcCoverageStart...]))
        }
        bytes.writeBigEndian(crc, at: RecordBatchHeader.Offset.crc)
        return try RecordBatch(validating: bytes)
    }
}
