/// Metadata (key 3), v0–4.
public struct MetadataRequest: Sendable, Equatable {
    /// nil: every topic (v1+ null array, or v0 empty array). Empty (v1+): none.
    public var topics: [String]?
    public var allowAutoTopicCreation: Bool

    public init(topics: [String]?, allowAutoTopicCreation: Bool = true) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
    }

    public init(from reader: inout ByteReader, version: Int16) throws {
        let count = try reader.readArrayCount(minimumElementSize: 2)
        var names: [String] = []
        for _ in 0..<(count ?? 0) { names.append(try reader.readString()) }
        if version == 0 {
            topics = names.isEmpty ? nil : names
        } else {
            topics = count == nil ? nil : names
        }
        allowAutoTopicCreation = version >= 4 ? try reader.readBool() : true
    }
}

public struct MetadataResponse: Sendable, Equatable {
    public struct Broker: Sendable, Equatable {
        public var nodeId: Int32
        public var host: String
        public var port: Int32
        public init(nodeId: Int32, host: String, port: Int32) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
        }
    }

    public struct Partition: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var partitionIndex: Int32
        public var leaderId: Int32
        public var replicas: [Int32]
        public var isr: [Int32]
        public init(errorCode: ErrorCode = .none, partitionIndex: Int32, leaderId: Int32, replicas: [Int32], isr: [Int32]) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderId = leaderId
            self.replicas = replicas
            self.isr = isr
        }
    }

    public struct Topic: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var name: String
        public var isInternal: Bool
        public var partitions: [Partition]
        public init(errorCode: ErrorCode, name: String, isInternal: Bool = false, partitions: [Partition]) {
            self.errorCode = errorCode
            self.name = name
            self.isInternal = isInternal
            self.partitions = partitions
        }
    }

    public var brokers: [Broker]
    public var clusterId: String?
    public var controllerId: Int32
    public var topics: [Topic]

    public init(brokers: [Broker], clusterId: String?, controllerId: Int32, topics: [Topic]) {
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
    }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 3 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendArray(brokers) { bytes, broker in
            bytes.appendInt32(broker.nodeId)
            bytes.appendString(broker.host)
            bytes.appendInt32(broker.port)
            if version >= 1 { bytes.appendString(nil) }  // rack
        }
        if version >= 2 { bytes.appendString(clusterId) }
        if version >= 1 { bytes.appendInt32(controllerId) }
        bytes.appendArray(topics) { bytes, topic in
            bytes.appendInt16(topic.errorCode.rawValue)
            bytes.appendString(topic.name)
            if version >= 1 { bytes.appendBool(topic.isInternal) }
            bytes.appendArray(topic.partitions) { bytes, partition in
                bytes.appendInt16(partition.errorCode.rawValue)
                bytes.appendInt32(partition.partitionIndex)
                bytes.appendInt32(partition.leaderId)
                bytes.appendArray(partition.replicas) { $0.appendInt32($1) }
                bytes.appendArray(partition.isr) { $0.appendInt32($1) }
            }
        }
    }
}
