/// Fetch (key 1), v4–11. Sessions are not kept: every response lists every requested
/// partition and answers session id 0.
public struct FetchRequest: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var fetchOffset: Int64
        public var partitionMaxBytes: Int32
    }

    public typealias Topic = TopicEntries<Partition>

    public var maxWaitMs: Int32
    public var minBytes: Int32
    public var maxBytes: Int32
    public var isolationLevel: Int8
    public var topics: [Topic]

    public init(from reader: inout ByteReader, version: Int16) throws {
        _ = try reader.readInt32()  // replica_id
        maxWaitMs = try reader.readInt32()
        minBytes = try reader.readInt32()
        maxBytes = try reader.readInt32()
        isolationLevel = try reader.readInt8()
        if version >= 7 {
            _ = try reader.readInt32()  // session_id
            _ = try reader.readInt32()  // session_epoch
        }
        topics = try reader.readArray(minimumElementSize: 6) { reader in
            Topic(name: try reader.readString(), partitions: try reader.readArray(minimumElementSize: 16) { reader in
                let partition = try reader.readInt32()
                if version >= 9 { _ = try reader.readInt32() }  // current_leader_epoch
                let fetchOffset = try reader.readInt64()
                if version >= 5 { _ = try reader.readInt64() }  // log_start_offset (followers only)
                return Partition(partition: partition, fetchOffset: fetchOffset, partitionMaxBytes: try reader.readInt32())
            })
        }
        if version >= 7 {
            // forgotten_topics_data: ignored, there are no sessions.
            _ = try reader.readArray(minimumElementSize: 6) { reader in
                _ = try reader.readString()
                _ = try reader.readArray(minimumElementSize: 4) { try $0.readInt32() }
            }
        }
        if version >= 11 { _ = try reader.readString() }  // rack_id
    }
}

public struct FetchResponse: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var errorCode: ErrorCode
        public var highWatermark: Int64
        public var logStartOffset: Int64
        /// Whole batches; never null on the wire (an empty fetch is zero bytes).
        public var records: [UInt8]
        public init(partition: Int32, errorCode: ErrorCode, highWatermark: Int64, logStartOffset: Int64, records: [UInt8]) {
            self.partition = partition
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.logStartOffset = logStartOffset
            self.records = records
        }
    }

    public typealias Topic = TopicEntries<Partition>

    public var topics: [Topic]

    public init(topics: [Topic]) { self.topics = topics }

    public var recordBytes: Int { topics.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + $1.records.count } } }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        bytes.appendInt32(0)  // throttle_time_ms
        if version >= 7 {
            bytes.appendInt16(ErrorCode.none.rawValue)
            bytes.appendInt32(0)  // session_id: no session
        }
        bytes.appendArray(topics) { bytes, topic in
            bytes.appendString(topic.name)
            bytes.appendArray(topic.partitions) { bytes, partition in
                bytes.appendInt32(partition.partition)
                bytes.appendInt16(partition.errorCode.rawValue)
                bytes.appendInt64(partition.highWatermark)
                bytes.appendInt64(partition.highWatermark)  // last_stable_offset: no transactions
                if version >= 5 { bytes.appendInt64(partition.logStartOffset) }
                bytes.appendInt32(0)  // aborted_transactions: empty
                if version >= 11 { bytes.appendInt32(-1) }  // preferred_read_replica
                bytes.appendNullableBytes(partition.records)
            }
        }
    }
}
