// The classic consumer-group APIs: JoinGroup (11) v0–5, SyncGroup (14) v0–3,
// Heartbeat (12) v0–3, LeaveGroup (13) v0–1. The broker relays the members' protocol
// metadata and the leader's assignments as opaque bytes.

public struct JoinGroupRequest: Sendable, Equatable {
    public struct ProtocolChoice: Sendable, Equatable {
        public var name: String
        public var metadata: [UInt8]
        public init(name: String, metadata: [UInt8]) {
            self.name = name
            self.metadata = metadata
        }
    }

    public var groupId: String
    public var sessionTimeoutMs: Int32
    /// v0 has none: the session timeout stands in.
    public var rebalanceTimeoutMs: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var protocolType: String
    public var protocols: [ProtocolChoice]

    public init(groupId: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, memberId: String,
                groupInstanceId: String? = nil, protocolType: String, protocols: [ProtocolChoice]) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
    }

    public init(from reader: inout ByteReader, version: Int16) throws {
        groupId = try reader.readString()
        sessionTimeoutMs = try reader.readInt32()
        rebalanceTimeoutMs = version >= 1 ? try reader.readInt32() : sessionTimeoutMs
        memberId = try reader.readString()
        groupInstanceId = version >= 5 ? try reader.readNullableString() : nil
        protocolType = try reader.readString()
        protocols = try reader.readArray(minimumElementSize: 6) { reader in
            ProtocolChoice(name: try reader.readString(), metadata: try reader.readNullableBytes() ?? [])
        }
    }
}

public struct JoinGroupResponse: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var metadata: [UInt8]
        public init(memberId: String, metadata: [UInt8]) {
            self.memberId = memberId
            self.metadata = metadata
        }
    }

    public var errorCode: ErrorCode
    public var generationId: Int32
    public var protocolName: String
    public var leader: String
    public var memberId: String
    public var members: [Member]

    public init(errorCode: ErrorCode, generationId: Int32 = -1, protocolName: String = "", leader: String = "",
                memberId: String = "", members: [Member] = []) {
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolName = protocolName
        self.leader = leader
        self.memberId = memberId
        self.members = members
    }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 2 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendInt16(errorCode.rawValue)
        bytes.appendInt32(generationId)
        bytes.appendString(protocolName)
        bytes.appendString(leader)
        bytes.appendString(memberId)
        bytes.appendArray(members) { bytes, member in
            bytes.appendString(member.memberId)
            if version >= 5 { bytes.appendString(nil) }  // group_instance_id
            bytes.appendNullableBytes(member.metadata)
        }
    }
}

public struct SyncGroupRequest: Sendable, Equatable {
    public struct Assignment: Sendable, Equatable {
        public var memberId: String
        public var assignment: [UInt8]
    }

    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var assignments: [Assignment]

    public init(from reader: inout ByteReader, version: Int16) throws {
        groupId = try reader.readString()
        generationId = try reader.readInt32()
        memberId = try reader.readString()
        if version >= 3 { _ = try reader.readNullableString() }  // group_instance_id
        assignments = try reader.readArray(minimumElementSize: 6) { reader in
            Assignment(memberId: try reader.readString(), assignment: try reader.readNullableBytes() ?? [])
        }
    }
}

public struct SyncGroupResponse: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var assignment: [UInt8]

    public init(errorCode: ErrorCode, assignment: [UInt8] = []) {
        self.errorCode = errorCode
        self.assignment = assignment
    }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 1 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendInt16(errorCode.rawValue)
        bytes.appendNullableBytes(assignment)
    }
}

public struct HeartbeatRequest: Sendable, Equatable {
    public var groupId: String
    public var generationId: Int32
    public var memberId: String

    public init(from reader: inout ByteReader, version: Int16) throws {
        groupId = try reader.readString()
        generationId = try reader.readInt32()
        memberId = try reader.readString()
        if version >= 3 { _ = try reader.readNullableString() }  // group_instance_id
    }
}

public struct LeaveGroupRequest: Sendable, Equatable {
    public var groupId: String
    public var memberId: String

    public init(from reader: inout ByteReader, version: Int16) throws {
        groupId = try reader.readString()
        memberId = try reader.readString()
    }
}

/// The response of Heartbeat and LeaveGroup (v0–3 / v0–1): throttle (v1+) and an error.
public struct GroupErrorResponse: Sendable, Equatable {
    public var errorCode: ErrorCode

    public init(errorCode: ErrorCode) { self.errorCode = errorCode }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 1 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendInt16(errorCode.rawValue)
    }
}
