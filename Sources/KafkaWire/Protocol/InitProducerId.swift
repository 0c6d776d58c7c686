/// InitProducerId (key 22), v0–1: hands out a producer id for idempotent producing.
public struct InitProducerIdRequest: Sendable, Equatable {
    public var transactionalId: String?
    public var transactionTimeoutMs: Int32

    public init(from reader: inout ByteReader, version: Int16) throws {
        transactionalId = try reader.readNullableString()
        transactionTimeoutMs = try reader.readInt32()
    }
}

public struct InitProducerIdResponse: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(errorCode: ErrorCode, producerId: Int64, producerEpoch: Int16) {
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        bytes.appendInt32(0)  // throttle_time_ms
        bytes.appendInt16(errorCode.rawValue)
        bytes.appendInt64(producerId)
        bytes.appendInt16(producerEpoch)
    }
}
