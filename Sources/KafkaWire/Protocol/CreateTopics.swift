/// CreateTopics (key 19), v0–4. Replica assignments and per-topic configs are accepted
/// and ignored (one node; configs are the broker's).
public struct CreateTopicsRequest: Sendable, Equatable {
    public struct Topic: Sendable, Equatable {
        public var name: String
        /// −1 (v4+): the broker's default.
        public var numPartitions: Int32
        public var replicationFactor: Int16
    }

    public var topics: [Topic]
    public var timeoutMs: Int32
    public var validateOnly: Bool

    public init(from reader: inout ByteReader, version: Int16) throws {
        topics = try reader.readArray(minimumElementSize: 16) { reader in
            let name = try reader.readString()
            let numPartitions = try reader.readInt32()
            let replicationFactor = try reader.readInt16()
            _ = try reader.readArray(minimumElementSize: 8) { reader in  // assignments
                _ = try reader.readInt32()
                _ = try reader.readArray(minimumElementSize: 4) { try $0.readInt32() }
            }
            _ = try reader.readArray(minimumElementSize: 4) { reader in  // configs
                _ = try reader.readString()
                _ = try reader.readNullableString()
            }
            return Topic(name: name, numPartitions: numPartitions, replicationFactor: replicationFactor)
        }
        timeoutMs = try reader.readInt32()
        validateOnly = version >= 1 ? try reader.readBool() : false
    }
}

public struct CreateTopicsResponse: Sendable, Equatable {
    public struct Topic: Sendable, Equatable {
        public var name: String
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public init(name: String, errorCode: ErrorCode, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    public var topics: [Topic]

    public init(topics: [Topic]) { self.topics = topics }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 2 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendArray(topics) { bytes, topic in
            bytes.appendString(topic.name)
            bytes.appendInt16(topic.errorCode.rawValue)
            if version >= 1 { bytes.appendString(topic.errorMessage) }
        }
    }
}
