import CRdKafka
import Synchronization

/// A consumer-group member over librdkafka (`rd_kafka_subscribe`, `rd_kafka_consumer_poll`).
/// librdkafka assigns partitions on rebalance by itself; offsets move only with `commit`
/// unless `enableAutoCommit` is set.
///
/// Thread-safe. Every blocking librdkafka call runs, in order, on the consumer's own thread,
/// so `poll` and `commit` never hold a thread of the cooperative pool.
public final class KafkaConsumer: Sendable {
    /// What the worker's jobs use; jobs never retain the consumer itself, so its `deinit`
    /// (which waits for the worker) never runs on the worker thread.
    private final class Shared: Sendable {
        let client: RdKafkaClient
        let closing = Atomic<Bool>(false)
        init(client: RdKafkaClient) { self.client = client }
    }

    private let shared: Shared
    private let worker = BlockingWorker()
    private let closed = Mutex(false)

    /// Creates the handle and subscribes to `topics`. Throws a `KafkaClientError` naming the
    /// property librdkafka rejected, or the subscription error.
    public init(config: KafkaConsumerConfig, topics: [String]) throws {
        let client = try RdKafkaClient(type: RD_KAFKA_CONSUMER, properties: config.properties, logHandler: config.logHandler)
        rd_kafka_poll_set_consumer(client.pointer)
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(client.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            worker.stop()
            client.destroy()
            throw KafkaClientError(error)
        }
        shared = Shared(client: client)
    }

    deinit { close() }

    /// Up to `maxMessages` messages from the assigned partitions: waits up to
    /// `timeoutMilliseconds` for the first, then takes what is already fetched. Returns `[]`
    /// on timeout. Non-fatal errors (a broker down, a topic not yet there) go to the log
    /// handler, as librdkafka recovers from them itself; a fatal error throws.
    public func poll(maxMessages: Int, timeoutMilliseconds: Int32) async throws -> [KafkaIncomingMessage] {
        let shared = self.shared
        return try await worker.run(orFailWith: .closed("consumer")) {
            try Self.poll(shared, maxMessages: maxMessages, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// Commits, for each partition among `messages`, the offset after its last message, and
    /// waits for the broker's answer.
    public func commit(_ messages: [KafkaIncomingMessage]) async throws {
        var next: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            next[message.topicPartition] = max(next[message.topicPartition] ?? 0, message.offset + 1)
        }
        try await commit(offsets: next)
    }

    /// Commits `offsets` (for each partition, the next offset to read) and waits for the
    /// broker's answer; throws the first partition's error.
    public func commit(offsets: [KafkaTopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        let client = shared.client
        try await worker.run(orFailWith: .closed("consumer")) {
            let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for (topicPartition, offset) in offsets {
                rd_kafka_topic_partition_list_add(list, topicPartition.topic, topicPartition.partition).pointee.offset = offset
            }
            let error = rd_kafka_commit(client.pointer, list, 0)
            for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
            where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                var failure = KafkaClientError(element.err)
                failure.message = "commit \(String(cString: element.topic))-\(element.partition): \(failure.message)"
                throw failure
            }
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaClientError(error) }
        }
    }

    /// The partitions currently assigned to this member.
    public func assignment() async throws -> [KafkaTopicPartition] {
        let client = shared.client
        return try await worker.run(orFailWith: .closed("consumer")) {
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let error = rd_kafka_assignment(client.pointer, &list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaClientError(error) }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)).map {
                KafkaTopicPartition(topic: String(cString: $0.topic), partition: $0.partition)
            }
        }
    }

    /// Leaves the group (`rd_kafka_consumer_close`: no commit unless auto-commit is on),
    /// stops the consumer's thread and destroys the handle. A running `poll` returns within
    /// about 100 ms. Idempotent; blocks the calling thread.
    public func close() {
        let first = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        shared.closing.store(true, ordering: .releasing)
        let client = shared.client
        let done = Semaphore()
        worker.submit {
            _ = rd_kafka_consumer_close(client.pointer)
            done.signal()
        }
        done.wait()
        worker.stop()
        client.destroy()
    }

    // MARK: On the worker thread

    private static func poll(_ shared: Shared, maxMessages: Int, timeoutMilliseconds: Int32) throws -> [KafkaIncomingMessage] {
        let client = shared.client
        guard !shared.closing.load(ordering: .acquiring) else { throw KafkaClientError.closed("consumer") }
        var messages: [KafkaIncomingMessage] = []
        messages.reserveCapacity(min(maxMessages, 4096))
        var topicNames: [OpaquePointer: String] = [:]
        let deadline = ContinuousClock.now + .milliseconds(Int(max(0, timeoutMilliseconds)))
        while messages.count < maxMessages, !shared.closing.load(ordering: .relaxed) {
            var wait: Int32 = 0
            if messages.isEmpty {
                // Slices of at most 100 ms so that `close` is not kept waiting.
                let left = deadline - ContinuousClock.now
                wait = Int32(clamping: max(0, min(100, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            }
            guard let message = rd_kafka_consumer_poll(client.pointer, wait) else {
                if !messages.isEmpty || ContinuousClock.now >= deadline { break }
                continue
            }
            defer { rd_kafka_message_destroy(message) }
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                messages.append(incoming(message, topicNames: &topicNames))
            } else if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                if let fatal = client.raisedFatalError() { throw fatal }
                let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? KafkaClientError(error).message
                client.log(level: 4, facility: "CONSUMER", "consumer error \(error.rawValue): \(text)")
            }
        }
        return messages
    }

    /// Copies one fetched message out of librdkafka's memory.
    private static func incoming(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout [OpaquePointer: String]
    ) -> KafkaIncomingMessage {
        let fields = message.pointee
        var topic = ""
        if let handle = fields.rkt {
            if let name = topicNames[handle] {
                topic = name
            } else {
                topic = String(cString: rd_kafka_topic_name(handle))
                topicNames[handle] = topic
            }
        }
        let key = fields.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: fields.key_len)) }
        let value = fields.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: fields.len)) } ?? []
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        var headers: [(String, [UInt8])] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var headerValue: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = headerValue.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append((name.map { String(cString: $0) } ?? "", bytes))
                index += 1
            }
        }
        return KafkaIncomingMessage(
            topic: topic, partition: fields.partition, offset: fields.offset, key: key, value: value,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || timestamp < 0 ? nil : timestamp,
            headers: headers)
    }
}
