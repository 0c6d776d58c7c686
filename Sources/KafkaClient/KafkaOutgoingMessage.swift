/// One message for `KafkaProducer.send`.
public struct KafkaOutgoingMessage: Sendable {
    public var topic: String
    /// nil lets librdkafka's partitioner choose (by key hash; random without a key).
    public var partition: Int32?
    /// nil is a null key; `[]` an empty one.
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Create time in milliseconds since the epoch; nil takes the current time.
    public var timestampMilliseconds: Int64?
    public var headers: [(String, [UInt8])]

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8],
        timestampMilliseconds: Int64? = nil, headers: [(String, [UInt8])] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
        self.headers = headers
    }
}
