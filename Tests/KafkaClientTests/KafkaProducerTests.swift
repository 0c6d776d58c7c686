import Foundation
import KafkaClient
import Testing

/// The producer against the real in-process Sluice broker.
@Suite(.serialized)
struct KafkaProducerTests {
    /// Sends `count` sample messages as `batches` concurrent `send` calls.
    static func sendConcurrently(
        _ producer: KafkaProducer, topic: String, count: Int, batches: Int, partition: Int32? = nil, valueBytes: Int = 100
    ) async -> [KafkaDeliveryReport] {
        let perBatch = (count + batches - 1) / batches
        return await withTaskGroup(of: [KafkaDeliveryReport].self) { group in
            for start in stride(from: 0, to: count, by: perBatch) {
                group.addTask {
                    let messages = (start..<min(count, start + perBatch)).map {
                        Sample.message($0, topic: topic, partition: partition, valueBytes: valueBytes)
                    }
                    return await producer.send(messages)
                }
            }
            var all: [KafkaDeliveryReport] = []
            for await reports in group { all += reports }
            return all
        }
    }

    /// Every report succeeded and each partition's offsets are exactly 0..<n.
    static func expectDenseOffsets(_ reports: [KafkaDeliveryReport], count: Int) {
        #expect(reports.count == count)
        let failures = reports.compactMap(\.error)
        #expect(failures.isEmpty, "first failure: \(failures.first.map { "\($0)" } ?? "")")
        let byPartition = Dictionary(grouping: reports, by: \.partition)
        for (partition, reports) in byPartition {
            #expect(reports.map(\.offset).sorted() == Array(0..<Int64(reports.count)), "partition \(partition)")
        }
    }

    /// Every sample message came back once with its key, value, timestamp and headers.
    static func expectSamples(_ messages: [KafkaIncomingMessage], count: Int, valueBytes: Int = 100, sentAfter: Int64) {
        var seen = Set<Int>()
        for message in messages {
            guard let seq = Sample.seq(of: message) else {
                Issue.record("message without seq header at \(message.partition)/\(message.offset)")
                continue
            }
            #expect(seen.insert(seq).inserted, "duplicate \(seq)")
            #expect(message.key == Sample.key(seq), "key of \(seq)")
            #expect(message.value == Sample.value(seq, bytes: valueBytes), "value of \(seq)")
            if let timestamp = Sample.timestamp(seq) {
                #expect(message.timestampMilliseconds == timestamp, "timestamp of \(seq)")
            } else {
                #expect((message.timestampMilliseconds ?? 0) >= sentAfter, "current-time timestamp of \(seq)")
            }
            #expect(message.headers.map(\.0) == ["seq", "empty", "codec"])
            #expect(message.headers.map(\.1) == [Array(String(seq).utf8), [], Array("test".utf8)])
        }
        #expect(seen.count == count)
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) - 1000 }

    @Test("50k messages in concurrent batches (agent defaults: gzip, acks=all, idempotent) come back intact")
    func agentDefaults() async throws {
        let broker = try await TestBroker.start(partitions: 3)
        let producer = try KafkaProducer(config: producerConfig(broker.bootstrapServers))
        let started = Self.nowMilliseconds()
        let reports = await Self.sendConcurrently(producer, topic: "agent", count: 50_000, batches: 8)
        Self.expectDenseOffsets(reports, count: 50_000)
        producer.close()
        let messages = try await readAll(broker.bootstrapServers, topics: ["agent"], count: 50_000)
        Self.expectSamples(messages, count: 50_000, sentAfter: started)
        try await broker.shutdown()
    }

    @Test("every codec with acks all (idempotent) and 1", arguments: KafkaCompression.allCases, ["all", "1"])
    func codecsAndAcks(compression: KafkaCompression, acks: String) async throws {
        let broker = try await TestBroker.start(partitions: 2)
        var config = producerConfig(broker.bootstrapServers)
        config.compression = compression
        config.acks = acks
        config.idempotence = acks == "all"
        if compression == .zstd { config.compressionLevel = 3 }
        let producer = try KafkaProducer(config: config)
        let topic = "codec-\(compression.rawValue)-\(acks)"
        let started = Self.nowMilliseconds()
        let reports = await Self.sendConcurrently(producer, topic: topic, count: 10_000, batches: 4, valueBytes: 300)
        Self.expectDenseOffsets(reports, count: 10_000)
        producer.close()
        let messages = try await readAll(broker.bootstrapServers, topics: [topic], count: 10_000)
        Self.expectSamples(messages, count: 10_000, valueBytes: 300, sentAfter: started)
        try await broker.shutdown()
    }

    @Test("a message too large for the client or for the broker gets an error report; the producer goes on")
    func oversizedMessages() async throws {
        let broker = try await TestBroker.start()
        // Client limit (message.max.bytes, 1 MB by default): refused before it is queued.
        let producer = try KafkaProducer(config: producerConfig(broker.bootstrapServers))
        let small = KafkaOutgoingMessage(topic: "big", value: Array("fine".utf8))
        let huge = KafkaOutgoingMessage(topic: "big", value: Array(repeating: 7, count: 2_000_000))
        let reports = await producer.send([small, huge, small])
        #expect(reports[0].error == nil && reports[2].error == nil)
        #expect(reports[1].error?.code == KafkaClientError.messageSizeTooLargeCode)
        await #expect(throws: KafkaClientError.self) { try await producer.send(huge) }
        #expect(try await producer.send(small).offset == 2)
        producer.close()

        // Broker limit (about 1 MiB per batch): the client lets it through, the broker refuses it.
        var config = producerConfig(broker.bootstrapServers)
        config.compression = .none
        config.extra["message.max.bytes"] = "10000000"
        config.batchBytes = 10_000_000
        let lenient = try KafkaProducer(config: config)
        let refused = await lenient.send([KafkaOutgoingMessage(topic: "big", value: Array(repeating: 1, count: 3_000_000))])
        #expect(refused[0].error?.code == KafkaClientError.messageSizeTooLargeCode, "\(refused)")
        // librdkafka's own refusal says "Failed to produce message: …"; the broker's does not.
        #expect(reports[1].error?.message.hasPrefix("Failed to produce") == true)
        #expect(refused[0].error?.message.hasPrefix("Failed to produce") == false)
        let after = await lenient.send([small])
        #expect(after[0].error == nil, "\(after)")
        lenient.close()

        // Larger than the producer's queue: it could never fit, so it fails instead of waiting.
        var tight = producerConfig(broker.bootstrapServers)
        tight.maxQueuedBytes = 16 << 10
        let tightProducer = try KafkaProducer(config: tight)
        let tooBig = await tightProducer.send([KafkaOutgoingMessage(topic: "big", value: Array(repeating: 2, count: 20_000)), small])
        #expect(tooBig[0].error != nil && tooBig[1].error == nil, "\(tooBig)")
        tightProducer.close()
        try await broker.shutdown()
    }

    @Test("a bad property fails init with an error that names it")
    func badConfiguration() throws {
        var unknown = KafkaProducerConfig(bootstrapServers: "127.0.0.1:1")
        unknown.extra["no.such.property"] = "1"
        #expect {
            try KafkaProducer(config: unknown)
        } throws: { ($0 as? KafkaClientError)?.property == "no.such.property" }

        var badValue = KafkaProducerConfig(bootstrapServers: "127.0.0.1:1")
        badValue.acks = "most"
        #expect {
            try KafkaProducer(config: badValue)
        } throws: { error in
            guard let error = error as? KafkaClientError else { return false }
            return error.property == "acks" && error.code == KafkaClientError.invalidArgumentCode
        }

        // Checked when the handle is created, across properties.
        var conflicting = KafkaProducerConfig(bootstrapServers: "127.0.0.1:1")
        conflicting.acks = "1"
        conflicting.idempotence = true
        #expect {
            try KafkaProducer(config: conflicting)
        } throws: { ($0 as? KafkaClientError)?.property == "acks" }

        var consumer = KafkaConsumerConfig(bootstrapServers: "127.0.0.1:1", groupID: "g")
        consumer.autoOffsetReset = "sometimes"
        #expect {
            try KafkaConsumer(config: consumer, topics: ["t"])
        } throws: { ($0 as? KafkaClientError)?.property == "auto.offset.reset" }
    }

    @Test("started while the broker is down, the producer delivers everything once it is up")
    func brokerStartsLater() async throws {
        // Reserve a port: start a broker, note its port, stop it.
        let reserved = try await TestBroker.start()
        let port = reserved.port
        try await reserved.shutdown()

        let logs = LogLines()
        let producer = try KafkaProducer(config: producerConfig("127.0.0.1:\(port)", logs: logs))
        let sending = Task { await Self.sendConcurrently(producer, topic: "late", count: 5_000, batches: 5) }
        // Every message is queued and the producer has failed to connect before the broker is up.
        #expect(await eventually { logs.contains("Connection refused") && producer.queueLength >= 5_000 })

        let broker = try await TestBroker.start(port: port, directory: reserved.directory)
        let reports = await sending.value
        Self.expectDenseOffsets(reports, count: 5_000)
        producer.close()
        let messages = try await readAll(broker.bootstrapServers, topics: ["late"], count: 5_000)
        Self.expectSamples(messages, count: 5_000, sentAfter: 0)
        try await broker.shutdown()
    }

    @Test("closing with messages outstanding fails them with error reports, and later sends fail at once")
    func closeWithOutstandingMessages() async throws {
        let reserved = try await TestBroker.start()
        let port = reserved.port
        try await reserved.shutdown()

        let logs = LogLines()
        let producer = try KafkaProducer(config: producerConfig("127.0.0.1:\(port)", logs: logs))
        let sending = Task { await Self.sendConcurrently(producer, topic: "nowhere", count: 1_000, batches: 2) }
        #expect(await eventually { logs.contains("Connection refused") && producer.queueLength >= 1_000 })
        producer.close(flushTimeoutMilliseconds: 100)
        let reports = await sending.value
        #expect(reports.count == 1_000)
        // rd_kafka_purge's reports: "Local: Purged in queue".
        #expect(reports.allSatisfy { $0.error?.message.contains("Purged") == true }, "\(reports.first!)")
        #expect(producer.queueLength == 0)

        let late = await producer.send([Sample.message(1, topic: "nowhere")])
        #expect(late[0].error?.code == KafkaClientError.closedCode)
        producer.close()  // idempotent
    }

    @Test("acks=0: reports carry no offset, the messages arrive")
    func acksZero() async throws {
        let broker = try await TestBroker.start()
        var config = producerConfig(broker.bootstrapServers)
        config.acks = "0"
        config.idempotence = false
        let producer = try KafkaProducer(config: config)
        let reports = await Self.sendConcurrently(producer, topic: "fire", count: 2_000, batches: 2)
        #expect(reports.allSatisfy { $0.error == nil && $0.offset == -1 }, "\(reports.filter { $0.error != nil || $0.offset != -1 }.prefix(3))")
        producer.close()
        let messages = try await readAll(broker.bootstrapServers, topics: ["fire"], count: 2_000)
        Self.expectSamples(messages, count: 2_000, sentAfter: 0)
        try await broker.shutdown()
    }

    @Test("a queue smaller than the data makes send wait for room, not drop")
    func boundedQueue() async throws {
        let broker = try await TestBroker.start()
        var config = producerConfig(broker.bootstrapServers)
        config.maxQueuedBytes = 64 << 10
        config.compression = .lz4
        let producer = try KafkaProducer(config: config)
        let reports = await Self.sendConcurrently(producer, topic: "bounded", count: 20_000, batches: 4, valueBytes: 200)
        Self.expectDenseOffsets(reports, count: 20_000)
        producer.close()
        try await broker.shutdown()
    }

    @Test("throughput of small messages (printed, not asserted)", arguments: [KafkaCompression.lz4, .gzip])
    func throughput(compression: KafkaCompression) async throws {
        let broker = try await TestBroker.start()
        var config = producerConfig(broker.bootstrapServers)
        config.compression = compression
        config.acks = "1"
        config.idempotence = false
        let producer = try KafkaProducer(config: config)
        let count = 200_000
        let messages = (0..<count).map { KafkaOutgoingMessage(topic: "speed", value: Sample.value($0 + 1, bytes: 120)) }
        let clock = ContinuousClock()
        let chunks = stride(from: 0, to: count, by: 10_000).map { Array(messages[$0..<min(count, $0 + 10_000)]) }
        let elapsed = await clock.measure {
            await withTaskGroup(of: Int.self) { group in
                for chunk in chunks { group.addTask { await producer.send(chunk).filter { $0.error == nil }.count } }
                var delivered = 0
                for await n in group { delivered += n }
                #expect(delivered == count)
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("KafkaProducer (\(compression)): \(count) messages of 120 bytes in \(elapsed): \(Int(Double(count) / seconds)) messages/s")
        producer.close()
        try await broker.shutdown()
    }
}
