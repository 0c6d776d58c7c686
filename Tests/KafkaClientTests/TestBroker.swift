import Broker
import Foundation
import KafkaClient
import Logging
import NIOCore
import Synchronization
import TestSupport

/// A Sluice broker in this process on a loopback port, over its own data directory.
struct TestBroker {
    let directory: TemporaryDirectory
    let server: KafkaServer
    let port: Int

    var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// Starts a broker; `port` 0 picks a free one. Auto-created topics get `partitions`.
    static func start(
        partitions: Int32 = 1, port: Int = 0, directory: TemporaryDirectory = TemporaryDirectory("kafkaclient")
    ) async throws -> TestBroker {
        var config = BrokerConfig()
        config.dataDirectory = directory.sub("data")
        config.listenPort = port
        config.defaultPartitions = partitions
        let server = try KafkaServer(config: config, logger: Logger(label: "test-broker") { _ in SwiftLogNoOpLogHandler() })
        let address = try await server.start()
        return TestBroker(directory: directory, server: server, port: address.port!)
    }

    func shutdown() async throws {
        try await server.shutdown()
    }
}

/// librdkafka's log lines, kept for assertions; printed when KAFKA_CLIENT_TEST_LOGS is set.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    var handler: KafkaLogHandler {
        { [self] level, facility, message in
            let line = "\(level) \(facility) \(message)"
            if ProcessInfo.processInfo.environment["KAFKA_CLIENT_TEST_LOGS"] != nil { print("rdkafka:", line) }
            lines.withLock { $0.append(line) }
        }
    }

    func contains(_ text: String) -> Bool {
        lines.withLock { $0.contains { $0.contains(text) } }
    }
}

/// Retries `condition` until it holds or `timeout` passes; returns whether it held (the
/// budget only runs out when something is wrong; the suite shares two busy cores).
func eventually(
    timeout: Duration = .seconds(120), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A producer config for tests: quiet logs, short reconnect backoff.
func producerConfig(_ bootstrapServers: String, logs: LogLines = LogLines()) -> KafkaProducerConfig {
    var config = KafkaProducerConfig(bootstrapServers: bootstrapServers)
    config.lingerMilliseconds = 5
    config.logHandler = logs.handler
    config.extra["reconnect.backoff.max.ms"] = "200"
    return config
}

func consumerConfig(_ bootstrapServers: String, group: String, logs: LogLines = LogLines()) -> KafkaConsumerConfig {
    var config = KafkaConsumerConfig(bootstrapServers: bootstrapServers, groupID: group)
    config.logHandler = logs.handler
    config.extra["reconnect.backoff.max.ms"] = "200"
    config.extra["session.timeout.ms"] = "10000"
    config.extra["heartbeat.interval.ms"] = "500"
    return config
}

/// Reads `count` messages of `topics` with a fresh consumer group, polling until a deadline.
func readAll(_ bootstrapServers: String, topics: [String], count: Int, timeout: Duration = .seconds(60)) async throws -> [KafkaIncomingMessage] {
    let consumer = try KafkaConsumer(config: consumerConfig(bootstrapServers, group: "verify-\(UUID().uuidString)"), topics: topics)
    defer { consumer.close() }
    var messages: [KafkaIncomingMessage] = []
    _ = try await eventually(timeout: timeout) {
        messages += try await consumer.poll(maxMessages: 10_000, timeoutMilliseconds: 200)
        return messages.count >= count
    }
    return messages
}

/// Test messages whose content follows from their sequence number, with a "seq" header to
/// find them again: keys null, empty or set; values empty or text; some without timestamp.
enum Sample {
    static let baseTimestamp: Int64 = 1_700_000_000_000

    static func message(_ seq: Int, topic: String, partition: Int32? = nil, valueBytes: Int = 100) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(
            topic: topic, partition: partition, key: key(seq), value: value(seq, bytes: valueBytes),
            timestampMilliseconds: timestamp(seq),
            headers: [("seq", Array(String(seq).utf8)), ("empty", []), ("codec", Array("test".utf8))])
    }

    static func key(_ seq: Int) -> [UInt8]? {
        if seq % 7 == 0 { return nil }
        if seq % 13 == 0 { return [] }
        return Array("key-\(seq)".utf8)
    }

    static func value(_ seq: Int, bytes: Int) -> [UInt8] {
        if seq % 11 == 0 { return [] }
        var text = Array("message \(seq) host=web-\(seq % 17) level=info path=/api/v1/items/\(seq * 31 % 1000) ".utf8)
        while text.count < bytes { text += text }
        return Array(text.prefix(max(bytes, 1)))
    }

    static func timestamp(_ seq: Int) -> Int64? {
        seq % 5 == 0 ? nil : baseTimestamp + Int64(seq)
    }

    static func seq(of message: KafkaIncomingMessage) -> Int? {
        guard let header = message.headers.first(where: { $0.0 == "seq" }) else { return nil }
        return Int(String(decoding: header.1, as: UTF8.self))
    }
}
