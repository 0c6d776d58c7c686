/// ListOffsets (key 2), v1–5. Timestamp −2: log start; −1: log end; otherwise the first
/// record with a timestamp at or after it.
public struct ListOffsetsRequest: Sendable, Equatable {
    public static let earliest: Int64 = -2
    public static let latest: Int64 = -1

    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var timestamp: Int64
    }

    public typealias Topic = TopicEntries<Partition>

    public var isolationLevel: Int8
    public var topics: [Topic]

    public init(from reader: inout ByteReader, version: Int16) throws {
        _ = try reader.readInt32()  // replica_id
        isolationLevel = version >= 2 ? try reader.readInt8() : 0
        topics = try reader.readArray(minimumElementSize: 6) { reader in
            Topic(name: try reader.readString(), partitions: try reader.readArray(minimumElementSize: 12) { reader in
                let partition = try reader.readInt32()
                if version >= 4 { _ = try reader.readInt32() }  // current_leader_epoch
                return Partition(partition: partition, timestamp: try reader.readInt64())
            })
        }
    }
}

public struct ListOffsetsResponse: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var errorCode: ErrorCode
        public var timestamp: Int64
        public var offset: Int64
        public init(partition: Int32, errorCode: ErrorCode, timestamp: Int64 = -1, offset: Int64 = -1) {
            self.partition = partition
            self.errorCode = errorCode
            self.timestamp = timestamp
            self.offset = offset
        }
    }

    public typealias Topic = TopicEntries<Partition>

    public var topics: [Topic]

    public init(topics: [Topic]) { self.topics = topics }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 2 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendArray(topics) { bytes, topic in
            bytes.appendString(topic.name)
            bytes.appendArray(topic.partitions) { bytes, partition in
                bytes.appendInt32(partition.partition)
                bytes.appendInt16(partition.errorCode.rawValue)
                bytes.appendInt64(partition.timestamp)
                bytes.appendInt64(partition.offset)
                if version >= 4 { bytes.appendInt32(partition.offset >= 0 ? 0 : -1) }  // leader_epoch
            }
        }
    }
}
