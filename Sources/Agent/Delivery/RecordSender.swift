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

/// What became of one record.
public enum SendOutcome: Sendable, Equatable {
    case acknowledged
    /// Worth sending again (the broker was unreachable, a leader moved, a timeout).
    case retriable(String)
    /// Will never be accepted as it is (too large for the broker or the client, refused
    /// as invalid): sending it again would block its stream forever.
    case permanent(String)
}

/// Whatever delivers records: librdkafka in the agent (`KafkaRecordSender`), an
/// in-memory fake in unit tests.
public protocol RecordSender: Sendable {
    /// Returns when every record has an outcome, in the records' order.
    func send(_ records: [OutgoingRecord]) async -> [SendOutcome]
    /// Stops the sender; outstanding records end with an error.
    func close()
}
