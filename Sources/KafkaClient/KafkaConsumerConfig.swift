/// How a `KafkaConsumer` joins its group; each field maps to one librdkafka property.
public struct KafkaConsumerConfig: Sendable {
    /// `bootstrap.servers`: "host:port,host:port".
    public var bootstrapServers: String
    /// `group.id`.
    public var groupID: String
    /// `client.id`.
    public var clientID = "sluice"
    /// `auto.offset.reset`: where a partition without a committed offset starts
    /// ("earliest", "latest" or "error").
    public var autoOffsetReset = "earliest"
    /// `enable.auto.commit`: off by default, so offsets move only with `commit`.
    public var enableAutoCommit = false
    /// Any other librdkafka property, applied last (so it can override the fields above).
    public var extra: [String: String] = [:]
    /// Where librdkafka's log lines and non-fatal consumer errors go; nil leaves them on stderr.
    public var logHandler: KafkaLogHandler? = nil

    public init(bootstrapServers: String, groupID: String) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
    }

    /// The librdkafka properties, in the order they are set.
    var properties: [(String, String)] {
        [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupID),
            ("client.id", clientID),
            ("auto.offset.reset", autoOffsetReset),
            ("enable.auto.commit", enableAutoCommit ? "true" : "false"),
        ] + extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
