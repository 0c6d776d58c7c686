/// Produce (key 0), v0–7. From v3 each partition carries one RecordBatch v2; v0–v2
/// (no transactional id) carry legacy message sets, which are decoded here and refused
/// per partition by batch validation (magic 0/1).
public struct ProduceRequest: Sendable, Equatable {
    public struct PartitionData: Sendable, Equatable {
        public var index: Int32
        public var records: [UInt8]?
    }

    public typealias TopicData = TopicEntries<PartitionData>

    public var transactionalId: String?
    /// 0: no response; 1: after the write; −1: after the write is durable.
    public var acks: Int16
    public var timeoutMs: Int32
    public var topics: [TopicData]

    public init(from reader: inout ByteReader, version: Int16) throws {
        transactionalId = version >= 3 ? try reader.readNullableString() : nil
        acks = try reader.readInt16()
        timeoutMs = try reader.readInt32()
        topics = try reader.readArray(minimumElementSize: 6) { reader in
            TopicData(name: try reader.readString(), partitions: try reader.readArray(minimumElementSize: 8) { reader in
                PartitionData(index: try reader.readInt32(), records: try reader.readNullableBytes())
            })
        }
    }
}

public struct ProduceResponse: Sendable, Equatable {
    public struct PartitionResponse: Sendable, Equatable {
        public var index: Int32
        public var errorCode: ErrorCode
        public var baseOffset: Int64
        public var logStartOffset: Int64
        public init(index: Int32, errorCode: ErrorCode, baseOffset: Int64 = -1, logStartOffset: Int64 = -1) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logStartOffset = logStartOffset
        }
    }

    public typealias TopicResponse = TopicEntries<PartitionResponse>

    public var topics: [TopicResponse]

    public init(topics: [TopicResponse]) { self.topics = topics }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        bytes.appendArray(topics) { bytes, topic in
            bytes.appendString(topic.name)
            bytes.appendArray(topic.partitions) { bytes, partition in
                bytes.appendInt32(partition.index)
                bytes.appendInt16(partition.errorCode.rawValue)
                bytes.appendInt64(partition.baseOffset)
                if version >= 2 { bytes.appendInt64(-1) }  // log_append_time_ms: CreateTime topics
                if version >= 5 { bytes.appendInt64(partition.logStartOffset) }
            }
        }
        if version >= 1 { bytes.appendInt32(0) }  // throttle_time_ms comes last in Produce
    }
}
