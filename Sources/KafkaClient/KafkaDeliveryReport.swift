/// The outcome of one sent message: where it landed, or why it did not.
public struct KafkaDeliveryReport: Sendable {
    public var topic: String
    /// -1 when the message never reached a partition.
    public var partition: Int32
    /// -1 when not delivered (or with acks=0, where the broker tells no offset).
    public var offset: Int64
    public var error: KafkaClientError?

    public init(topic: String, partition: Int32, offset: Int64, error: KafkaClientError?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.error = error
    }
}
