/// Compression codecs librdkafka applies to each batch (`compression.codec`).
public enum KafkaCompression: String, Sendable, CaseIterable {
    case none, gzip, snappy, lz4, zstd
}

/// A line librdkafka logs: syslog level (3 error … 7 debug), facility (`BROKERFAIL`,
/// `REQTMOUT`, …) and text. Without a handler librdkafka writes them to stderr.
public typealias KafkaLogHandler = @Sendable (_ level: Int32, _ facility: String, _ message: String) -> Void

/// How a `KafkaProducer` talks to the cluster; each field maps to one librdkafka property.
public struct KafkaProducerConfig: Sendable {
    /// `bootstrap.servers`: "host:port,host:port".
    public var bootstrapServers: String
    /// `client.id`.
    public var clientID = "sluice-agent"
    /// `acks`: "0", "1" or "all". Idempotence requires "all".
    public var acks = "all"
    /// `compression.codec`.
    public var compression: KafkaCompression = .gzip
    /// `compression.level`; nil keeps the codec's default.
    public var compressionLevel: Int? = nil
    /// `linger.ms`: how long a batch waits for more messages.
    public var lingerMilliseconds = 50
    /// `batch.size`: most bytes in one batch.
    public var batchBytes = 1_000_000
    /// `queue.buffering.max.kbytes`: bytes librdkafka holds before `send` waits for room.
    public var maxQueuedBytes = 16 << 20
    /// `message.timeout.ms`: 0 retries forever (the agent relies on it while the broker is down).
    public var messageTimeoutMilliseconds = 0
    /// `enable.idempotence`: no duplicates or reordering on retries.
    public var idempotence = true
    /// Any other librdkafka property, applied last (so it can override the fields above).
    public var extra: [String: String] = [:]
    /// Where librdkafka's log lines go; nil leaves them on stderr.
    public var logHandler: KafkaLogHandler? = nil

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties, in the order they are set.
    var properties: [(String, String)] {
        var properties: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
            ("acks", acks),
            ("compression.codec", compression.rawValue),
            ("linger.ms", String(lingerMilliseconds)),
            ("batch.size", String(batchBytes)),
            ("queue.buffering.max.kbytes", String(max(1, maxQueuedBytes / 1024))),
            ("message.timeout.ms", String(messageTimeoutMilliseconds)),
            ("enable.idempotence", idempotence ? "true" : "false"),
        ]
        if let compressionLevel { properties.append(("compression.level", String(compressionLevel))) }
        properties += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return properties
    }
}
