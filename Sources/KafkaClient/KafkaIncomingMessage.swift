/// One message read by `KafkaConsumer.poll`.
public struct KafkaIncomingMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// nil for a null key.
    public var key: [UInt8]?
    /// A null value reads as `[]`.
    public var value: [UInt8]
    /// nil when the broker reported no timestamp.
    public var timestampMilliseconds: Int64?
    /// Header values that were null read as `[]`.
    public var headers: [(String, [UInt8])]

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        timestampMilliseconds: Int64?, headers: [(String, [UInt8])]
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
        self.headers = headers
    }

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
}
