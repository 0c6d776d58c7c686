import CRdKafka
import Glibc
import Synchronization

/// A librdkafka producer. `send` hands a batch of messages to librdkafka and resumes once
/// every message of the batch has its delivery report (one continuation per batch); a
/// dedicated thread serves the reports. When librdkafka's queue is full (`maxQueuedBytes`),
/// `send` waits for room: nothing is dropped.
///
/// Thread-safe. `close` (or the last reference going away) fails whatever is still
/// outstanding, stops the poll thread and frees the handle.
public final class KafkaProducer: Sendable {
    private let client: RdKafkaClient
    private let topics: TopicHandles
    private let space = QueueSpace()
    private let inFlight = InFlightCount()
    private let poller: PollLoop
    private let state = Mutex(State())
    /// librdkafka's queue limit in bytes (`queue.buffering.max.kbytes` as in effect): a value
    /// larger than this would never fit, and waiting for room would wait forever.
    private let maxQueuedValueBytes: Int
    /// False with acks=0: the broker tells no offsets.
    private let offsetsKnown: Bool

    private struct State {
        var closed = false
        /// `send` and `flush` calls using the handle right now; `close` waits for them.
        var activeCalls = 0
        /// Batches whose sender has not returned, so that `close` can fail what librdkafka drops.
        var outstanding: [ObjectIdentifier: DeliveryBatch] = [:]
    }

    /// Creates the handle and starts the poll thread. Throws a `KafkaClientError` naming the
    /// property librdkafka rejected.
    public init(config: KafkaProducerConfig) throws {
        let client = try RdKafkaClient(type: RD_KAFKA_PRODUCER, properties: config.properties, logHandler: config.logHandler) {
            rd_kafka_conf_set_dr_msg_cb($0, kafkaDeliveryReportCallback)
        }
        self.client = client
        self.maxQueuedValueBytes = client.configurationValue("queue.buffering.max.kbytes").flatMap { Int($0) }.map { $0 * 1024 } ?? Int.max
        self.offsetsKnown = client.configurationValue("acks") != "0"
        self.topics = TopicHandles(client: client)
        self.poller = PollLoop(client: client, space: space)
    }

    deinit { close() }

    /// Hands all messages to librdkafka and returns when every one has a delivery report, in
    /// the order of `messages`. Not cancellable: once handed over, a message's outcome is
    /// awaited (with `messageTimeoutMilliseconds` 0, until delivered or the producer closes).
    public func send(_ messages: [KafkaOutgoingMessage]) async -> [KafkaDeliveryReport] {
        guard !messages.isEmpty else { return [] }
        let batch = DeliveryBatch(messages: messages, inFlight: inFlight, offsetsKnown: offsetsKnown)
        var next = 0
        while next < batch.count {
            let generation = space.generation
            guard enter(registering: batch) else {
                batch.failUnreported(from: next, with: .closed("producer"))
                break
            }
            let (reached, queueFull) = produce(batch, from: next)
            leave()
            next = reached
            if queueFull { await space.wait(after: generation) }
        }
        let reports = await batch.reports()
        _ = state.withLock { $0.outstanding.removeValue(forKey: ObjectIdentifier(batch)) }
        return reports
    }

    /// Sends one message; throws its delivery error.
    public func send(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        let report = await send([message])[0]
        if let error = report.error { throw error }
        return report
    }

    /// Blocks the calling thread until every queued message has its report or the timeout
    /// passes; true when nothing is left. (`send` needs no flush: it awaits its reports.)
    public func flush(timeoutMilliseconds: Int32) -> Bool {
        guard enter(registering: nil) else { return false }
        defer { leave() }
        return rd_kafka_flush(client.pointer, timeoutMilliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Messages and requests librdkafka still holds (`rd_kafka_outq_len`): queued, in flight,
    /// or delivered with the report not yet served. 0 once closed.
    public var queueLength: Int {
        guard enter(registering: nil) else { return 0 }
        defer { leave() }
        return Int(rd_kafka_outq_len(client.pointer))
    }

    /// Flushes for up to `flushTimeoutMilliseconds`, purges what is left (those messages
    /// report `RD_KAFKA_RESP_ERR__PURGE_*`), stops the poll thread and destroys the handle.
    /// Every pending `send` returns. Idempotent; blocks the calling thread.
    public func close(flushTimeoutMilliseconds: Int32 = 2_000) {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        space.advance()  // senders waiting for room see `closed` and stop handing over
        while state.withLock({ $0.activeCalls }) > 0 { usleep(500) }
        // From here on nothing but this function touches the handle (besides the poll thread).
        _ = rd_kafka_flush(client.pointer, flushTimeoutMilliseconds)
        _ = rd_kafka_purge(client.pointer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
        poller.stop()
        let deadline = ContinuousClock.now + .seconds(5)
        while inFlight.value > 0 && ContinuousClock.now < deadline {
            rd_kafka_poll(client.pointer, 10)
        }
        topics.destroyAll()
        client.destroy()
        // Only if librdkafka dropped reports (the deadline passed): no sender may wait forever.
        let left = state.withLock { Array($0.outstanding.values) }
        for batch in left { batch.failUnreported(from: 0, with: .closed("producer")) }
    }

    // MARK: Handing messages to librdkafka

    /// Counts a call in, unless the producer is closed.
    private func enter(registering batch: DeliveryBatch?) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.activeCalls += 1
            if let batch { state.outstanding[ObjectIdentifier(batch)] = batch }
            return true
        }
    }

    private func leave() {
        state.withLock { $0.activeCalls -= 1 }
    }

    /// Hands `batch.messages[start...]` to librdkafka until all are queued or the queue is
    /// full; returns the first index not handed over. A message librdkafka refuses at once
    /// (too large, unknown partition) gets its error report here.
    private func produce(_ batch: DeliveryBatch, from start: Int) -> (next: Int, queueFull: Bool) {
        withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { fields in
            let fields = fields.baseAddress!
            fields.initialize(repeating: rd_kafka_vu_t(), count: 8)
            var topicName: String?
            var topic: OpaquePointer?
            var handedOver = 0
            defer { inFlight.add(handedOver) }
            return batch.messages.withUnsafeBufferPointer { messages in
                for index in start..<messages.count {
                    if messages[index].topic != topicName {
                        topicName = messages[index].topic
                        topic = topics.handle(for: messages[index].topic)
                    }
                    guard let topic else {
                        batch.deliver(index, partition: -1, offset: -1, error: KafkaClientError(
                            code: KafkaClientError.invalidArgumentCode, message: "cannot create topic handle for \(messages[index].topic)"))
                        continue
                    }
                    guard messages[index].value.count <= maxQueuedValueBytes else {
                        batch.deliver(index, partition: messages[index].partition ?? -1, offset: -1, error: KafkaClientError(
                            code: RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue,
                            message: "value of \(messages[index].value.count) bytes exceeds the producer's queue (maxQueuedBytes \(maxQueuedValueBytes))"))
                        continue
                    }
                    guard let error = enqueue(messages[index], topic: topic, slot: batch.slots + index, fields: fields) else {
                        handedOver += 1
                        continue
                    }
                    if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                        rd_kafka_error_destroy(error)
                        return (index, true)
                    }
                    batch.deliver(index, partition: messages[index].partition ?? -1, offset: -1, error: KafkaClientError(consuming: error))
                }
                return (messages.count, false)
            }
        }
    }

    /// One `rd_kafka_produceva`. Key, value and headers are copied (`RD_KAFKA_MSG_F_COPY`:
    /// librdkafka allocates each message anyway and copies the payload into that one
    /// allocation), so nothing needs to outlive the call. Returns librdkafka's error, which
    /// the caller owns.
    private func enqueue(
        _ message: KafkaOutgoingMessage, topic: OpaquePointer, slot: UnsafeMutablePointer<DeliverySlot>,
        fields: UnsafeMutablePointer<rd_kafka_vu_t>
    ) -> OpaquePointer? {
        fields[0].vtype = RD_KAFKA_VTYPE_RKT
        fields[0].u.rkt = topic
        fields[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS
        fields[1].u.i = RD_KAFKA_MSG_F_COPY
        fields[2].vtype = RD_KAFKA_VTYPE_OPAQUE
        fields[2].u.ptr = UnsafeMutableRawPointer(slot)
        var count = 3
        if let partition = message.partition {
            fields[count].vtype = RD_KAFKA_VTYPE_PARTITION
            fields[count].u.i32 = partition
            count += 1
        }
        if let timestamp = message.timestampMilliseconds {
            fields[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP
            fields[count].u.i64 = timestamp
            count += 1
        }
        var headers: OpaquePointer?
        if !message.headers.isEmpty, let list = rd_kafka_headers_new(message.headers.count) {
            for (name, value) in message.headers {
                value.withUnsafeBytes { value in
                    _ = rd_kafka_header_add(list, name, -1, value.baseAddress ?? UnsafeRawPointer(emptyBytes), value.count)
                }
            }
            fields[count].vtype = RD_KAFKA_VTYPE_HEADERS
            fields[count].u.headers = list
            count += 1
            headers = list
        }
        // A zero-length value or key still needs a non-null pointer: null means a null value.
        let error = message.value.withUnsafeBytes { value -> OpaquePointer? in
            fields[count].vtype = RD_KAFKA_VTYPE_VALUE
            fields[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress) ?? emptyBytes
            fields[count].u.mem.size = value.count
            guard let key = message.key else { return rd_kafka_produceva(client.pointer, fields, count + 1) }
            return key.withUnsafeBytes { key in
                fields[count + 1].vtype = RD_KAFKA_VTYPE_KEY
                fields[count + 1].u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress) ?? emptyBytes
                fields[count + 1].u.mem.size = key.count
                return rd_kafka_produceva(client.pointer, fields, count + 2)
            }
        }
        // On failure the headers stay ours (librdkafka takes them only on success).
        if error != nil, let headers { rd_kafka_headers_destroy(headers) }
        return error
    }
}

/// Messages handed to librdkafka whose report has not been served yet.
final class InFlightCount: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func add(_ n: Int) { if n != 0 { count.add(n, ordering: .relaxed) } }
    func subtract(_ n: Int) { count.subtract(n, ordering: .relaxed) }
}

/// A non-null pointer for zero-length keys, values and header values (never read).
nonisolated(unsafe) private let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
