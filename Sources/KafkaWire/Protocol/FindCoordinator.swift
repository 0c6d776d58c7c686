/// FindCoordinator (key 10), v0–2: one node, so the coordinator is always this broker.
public struct FindCoordinatorRequest: Sendable, Equatable {
    public var key: String
    /// 0: group, 1: transaction (v1+).
    public var keyType: Int8

    public init(from reader: inout ByteReader, version: Int16) throws {
        key = try reader.readString()
        keyType = version >= 1 ? try reader.readInt8() : 0
    }
}

public struct FindCoordinatorResponse: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var nodeId: Int32
    public var host: String
    public var port: Int32

    public init(errorCode: ErrorCode, errorMessage: String? = nil, nodeId: Int32, host: String, port: Int32) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
    }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        if version >= 1 { bytes.appendInt32(0) }  // throttle_time_ms
        bytes.appendInt16(errorCode.rawValue)
        if version >= 1 { bytes.appendString(errorMessage) }
        bytes.appendInt32(nodeId)
        bytes.appendString(host)
        bytes.appendInt32(port)
    }
}
