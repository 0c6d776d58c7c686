/// One record for the broker: the agent's events and metric batches, already encoded.
public struct OutgoingRecord: Sendable {
    public var topic: String
    public var key: [UInt8]
    public var value: [UInt8]
    public var timestampMilliseconds: Int64

    public init(topic: String, key: [UInt8], value: [UInt8], timestampMilliseconds: Int64) {
        self.topic = topic
        self.key = key
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// Whatever delivers records: librdkafka in the agent (`KafkaRecordSender`), an
/// in-memory fake in unit tests.
public protocol RecordSender: Sendable {
    /// Returns when every record has an outcome: nil for acknowledged, or why not.
    func send(_ records: [OutgoingRecord]) async -> [String?]
    /// Stops the sender; outstanding records end with an error.
    func close()
}
