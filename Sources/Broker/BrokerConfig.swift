import CommitLog

/// Settings of the Kafka listener and its topics.
public struct BrokerConfig: Sendable {
    /// Where the commit log lives (`<dataDirectory>/<topic>-<n>/`).
    public var dataDirectory: String = "./sluice-data"
    public var listenHost: String = "127.0.0.1"
    public var listenPort: Int = 9092
    /// What Metadata and FindCoordinator tell clients to connect to; defaults to the listener.
    public var advertisedHost: String?
    public var advertisedPort: Int?
    public var nodeId: Int32 = 0
    public var clusterId: String = "sluice"
    /// Partitions of a topic created automatically or with −1 partitions.
    public var defaultPartitions: Int32 = 1
    public var autoCreateTopics: Bool = true
    /// Largest request frame accepted; a larger declared size closes the connection.
    public var maxRequestBytes: Int = 100 << 20
    /// Largest record batch accepted in a produce (Kafka's message.max.bytes).
    public var maxBatchBytes: Int = 1 << 20 + 12
    /// Most record bytes one fetch response carries, whatever the client asks (Kafka's
    /// fetch.max.bytes); the first batch is still sent whole.
    public var maxFetchBytes: Int = 55 << 20
    public var log: LogConfig = LogConfig()

    public init() {}

    public var advertised: (host: String, port: Int) {
        (advertisedHost ?? listenHost, advertisedPort ?? listenPort)
    }
}
