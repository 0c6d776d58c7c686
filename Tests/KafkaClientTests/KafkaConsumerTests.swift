import Foundation
import KafkaClient
import Testing

/// The group consumer against the real in-process Sluice broker.
@Suite(.serialized)
struct KafkaConsumerTests {
    @Test("two members of a group share a 4-partition topic: each message once; commit, reopen, resume")
    func groupSharesAndResumes() async throws {
        let broker = try await TestBroker.start()
        try broker.server.topics.createTopic("shared", partitions: 4)
        let producer = try KafkaProducer(config: producerConfig(broker.bootstrapServers))
        defer { producer.close() }

        let first = try KafkaConsumer(config: consumerConfig(broker.bootstrapServers, group: "g"), topics: ["shared"])
        let second = try KafkaConsumer(config: consumerConfig(broker.bootstrapServers, group: "g"), topics: ["shared"])
        // Both members hold two partitions before anything is produced, so that no rebalance
        // moves a partition whose messages were already read.
        var early: [KafkaIncomingMessage] = []
        let balanced = try await eventually {
            async let a = first.poll(maxMessages: 100, timeoutMilliseconds: 50)
            async let b = second.poll(maxMessages: 100, timeoutMilliseconds: 50)
            early += try await a + b
            let (x, y) = (try await first.assignment(), try await second.assignment())
            return x.count == 2 && y.count == 2 && Set(x + y).count == 4
        }
        #expect(balanced)
        #expect(early.isEmpty)

        let count = 4_000
        let reports = await producer.send((0..<count).map { Sample.message($0, topic: "shared", partition: Int32($0 % 4)) })
        #expect(reports.allSatisfy { $0.error == nil })

        var byFirst: [KafkaIncomingMessage] = []
        var bySecond: [KafkaIncomingMessage] = []
        let all = try await eventually {
            async let a = first.poll(maxMessages: 1_000, timeoutMilliseconds: 100)
            async let b = second.poll(maxMessages: 1_000, timeoutMilliseconds: 100)
            byFirst += try await a
            bySecond += try await b
            return byFirst.count + bySecond.count >= count
        }
        #expect(all)
        #expect(!byFirst.isEmpty && !bySecond.isEmpty)
        let seqs = (byFirst + bySecond).compactMap(Sample.seq(of:))
        #expect(seqs.count == count && Set(seqs) == Set(0..<count), "every message exactly once")
        #expect(Set(byFirst.map(\.partition)).isDisjoint(with: bySecond.map(\.partition)))

        try await first.commit(byFirst)
        try await second.commit(bySecond)
        // More messages arrive after the commit, then both members leave.
        let more = await producer.send((count..<count + 1_000).map { Sample.message($0, topic: "shared", partition: Int32($0 % 4)) })
        #expect(more.allSatisfy { $0.error == nil })
        first.close()
        second.close()

        // A new member of the group resumes after the committed offsets: only the new messages.
        let reopened = try KafkaConsumer(config: consumerConfig(broker.bootstrapServers, group: "g"), topics: ["shared"])
        var resumed: [KafkaIncomingMessage] = []
        #expect(try await eventually {
            resumed += try await reopened.poll(maxMessages: 1_000, timeoutMilliseconds: 100)
            return resumed.count >= 1_000
        })
        resumed += try await reopened.poll(maxMessages: 1_000, timeoutMilliseconds: 300)
        #expect(Set(resumed.compactMap(Sample.seq(of:))) == Set(count..<count + 1_000))
        #expect(resumed.count == 1_000)
        for partition in Int32(0)..<4 {
            #expect(resumed.filter { $0.partition == partition }.map(\.offset).min() == 1_000, "partition \(partition)")
        }

        // Explicit offsets: partition 0 moves to 1200; the others stay at 1000 (not committed
        // by this member), so the next member reads 50 + 3 × 250 messages.
        try await reopened.commit(offsets: [KafkaTopicPartition(topic: "shared", partition: 0): 1_200])
        reopened.close()
        let last = try KafkaConsumer(config: consumerConfig(broker.bootstrapServers, group: "g"), topics: ["shared"])
        var tail: [KafkaIncomingMessage] = []
        #expect(try await eventually {
            tail += try await last.poll(maxMessages: 1_000, timeoutMilliseconds: 100)
            return tail.count >= 800
        })
        tail += try await last.poll(maxMessages: 1_000, timeoutMilliseconds: 300)
        #expect(tail.count == 800)
        for partition in Int32(0)..<4 {
            #expect(tail.filter { $0.partition == partition }.map(\.offset).min() == (partition == 0 ? 1_200 : 1_000))
        }
        last.close()
        try await broker.shutdown()
    }

    @Test("poll returns empty on timeout; calls after close fail")
    func timeoutAndClose() async throws {
        let broker = try await TestBroker.start()
        try broker.server.topics.createTopic("quiet", partitions: 1)
        let consumer = try KafkaConsumer(config: consumerConfig(broker.bootstrapServers, group: "q"), topics: ["quiet"])
        let clock = ContinuousClock()
        var messages: [KafkaIncomingMessage] = []
        let elapsed = try await clock.measure {
            messages = try await consumer.poll(maxMessages: 10, timeoutMilliseconds: 300)
        }
        #expect(messages.isEmpty)
        #expect(elapsed >= .milliseconds(250))
        consumer.close()
        await #expect(throws: KafkaClientError.self) { try await consumer.poll(maxMessages: 1, timeoutMilliseconds: 10) }
        consumer.close()
        try await broker.shutdown()
    }
}
