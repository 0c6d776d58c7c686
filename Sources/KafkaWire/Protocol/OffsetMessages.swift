// Committed consumer offsets: OffsetCommit (8) v2–7 and OffsetFetch (9) v1–5.

public struct OffsetCommitRequest: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var offset: Int64
        public var metadata: String?
    }

    public typealias Topic = TopicEntries<Partition>

    public var groupId: String
    /// −1 with an empty member id: a commit from a consumer outside any group (assign()).
    public var generationId: Int32
    public var memberId: String
    public var topics: [Topic]

    public init(from reader: inout ByteReader, version: Int16) throws {
        groupId = try reader.readString()
        generationId = try reader.readInt32()
        memberId = try reader.readString()
        if version >= 7 { _ = try reader.readNullableString() }  // group_instance_id
        if version <= 4 { _ = try reader.readInt64() }  // retention_time_ms
        topics = try reader.readArray(minimumElementSize: 6) { reader in
            Topic(name: try reader.readString(), partitions: try reader.readArray(minimumElementSize: 14) { reader in
                let partition = try reader.readInt32()
                let offset = try reader.readInt64()
                if version >= 6 { _ = try reader.readInt32() }  // committed_leader_epoch
                return Partition(partition: partition, offset: offset, metadata: try reader.readNullableString())
            })
        }
    }
}

public struct OffsetCommitResponse: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var errorCode: ErrorCode
        public init(partition: Int32, errorCode: ErrorCode) {
            self.partition = partition
            self.errorCode = errorCode
        }
    }

    public typealias Topic = TopicEntries<Partition>

    public var topics: [Topic]

    public init(topics: [Topic]) { self.topics = topics }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 3 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendArray(topics) { bytes, topic in
            bytes.appendString(topic.name)
            bytes.appendArray(topic.partitions) { bytes, partition in
                bytes.appendInt32(partition.partition)
                bytes.appendInt16(partition.errorCode.rawValue)
            }
        }
    }
}

public struct OffsetFetchRequest: Sendable, Equatable {
    public typealias Topic = TopicEntries<Int32>

    public var groupId: String
    /// nil (v2+): every partition the group has committed.
    public var topics: [Topic]?

    public init(from reader: inout ByteReader, version: Int16) throws {
        groupId = try reader.readString()
        let count = try reader.readArrayCount(minimumElementSize: 6)
        guard let count else {
            topics = nil
            return
        }
        var topics: [Topic] = []
        for _ in 0..<count {
            topics.append(Topic(name: try reader.readString(), partitions: try reader.readArray(minimumElementSize: 4) { try $0.readInt32() }))
        }
        self.topics = topics
    }
}

public struct OffsetFetchResponse: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var offset: Int64
        public var metadata: String?
        public var errorCode: ErrorCode
        public init(partition: Int32, offset: Int64, metadata: String?, errorCode: ErrorCode = .none) {
            self.partition = partition
            self.offset = offset
            self.metadata = metadata
            self.errorCode = errorCode
        }
    }

    public typealias Topic = TopicEntries<Partition>

    public var topics: [Topic]
    public var errorCode: ErrorCode

    public init(topics: [Topic], errorCode: ErrorCode = .none) {
        self.topics = topics
        self.errorCode = errorCode
    }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 3 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendArray(topics) { bytes, topic in
            bytes.appendString(topic.name)
            bytes.appendArray(topic.partitions) { bytes, partition in
                bytes.appendInt32(partition.partition)
                bytes.appendInt64(partition.offset)
                if version >= 5 { bytes.appendInt32(-1) }  // committed_leader_epoch
                bytes.appendString(partition.metadata)
                // v1 has no group-level error: it goes on every partition.
                bytes.appendInt16((version < 2 && errorCode != .none ? errorCode : partition.errorCode).rawValue)
            }
        }
        if version >= 2 { bytes.appendInt16(errorCode.rawValue) }
    }
}
