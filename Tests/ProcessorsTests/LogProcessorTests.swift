import Broker
import CommitLog
import KafkaWire
import Logging
import Pipeline
import Processors
import SluiceModel
import Synchronization
import Testing
import TestSupport

/// An index that keeps everything in memory and makes "durable" explicit, so the tests
/// can play a crash (drop the head) and a restart.
final class MemoryIndex: LogIndex {
    struct State {
        var durable: [LogEntry] = []
        var head: [LogEntry] = []
        var durableOffsets: [TopicPartition: Int64] = [:]
        var headOffsets: [TopicPartition: Int64] = [:]
    }

    let state = Mutex(State())

    func append(_ entries: [LogEntry], through: [TopicPartition: Int64]) throws -> Int {
        state.withLock { state in
            var added = 0
            for entry in entries {
                let partition = TopicPartition(topic: entry.origin.topic, partition: entry.origin.partition)
                let seen = max(state.durableOffsets[partition] ?? -1, state.headOffsets[partition] ?? -1)
                guard entry.origin.offset > seen else { continue }
                state.head.append(entry)
                state.headOffsets[partition] = entry.origin.offset
                added += 1
            }
            for (partition, offset) in through { state.headOffsets[partition] = max(state.headOffsets[partition] ?? -1, offset) }
            return added
        }
    }

    func committedOffsets() -> [TopicPartition: Int64] { state.withLock { $0.durableOffsets } }
    func flushIfDue() throws -> Bool { false }

    func flush() throws {
        state.withLock { state in
            state.durable += state.head
            state.head = []
            state.durableOffsets.merge(state.headOffsets) { max($0, $1) }
        }
    }

    /// A crash: whatever was not flushed is gone.
    func crash() { state.withLock { $0.head = []; $0.headOffsets = [:] } }

    var all: [LogEntry] { state.withLock { $0.durable + $0.head } }
}

@Suite struct LogProcessorTests {
    let directory = TemporaryDirectory()
    let topics: TopicStore
    let writer: LocalTopicWriter

    init() throws {
        topics = TopicStore(logs: try LogDirectory(path: directory.sub("log")))
        writer = LocalTopicWriter(topics: topics, defaultPartitions: 2)
    }

    func produce(_ lines: [String], topic: String = "logs", host: String = "web-1") throws {
        try writer.append(topic: topic, records: lines.enumerated().map { index, line in
            let event = LogEvent(timestamp: Timestamp(nanosecondsSinceEpoch: 1_795_000_000_000_000_000 + Int64(index)), host: host,
                                 source: "file", message: Array(line.utf8), fields: [LogField("file", .string("/var/log/x.log"))])
            return (key: Array(host.utf8), value: event.encodeJSON(), timestampMilliseconds: 1_795_000_000_000)
        }, durable: false)
    }

    func processor(_ index: MemoryIndex, pipelines: [PipelineConfig] = PipelineConfig.embeddedDefault) throws -> LogProcessor {
        try LogProcessor(pipelines: try pipelines.map { try $0.build() }, topics: topics, index: index, defaultPartitions: 2,
                         logger: Logger(label: "test"))
    }

    func drain(_ processor: LogProcessor) throws {
        var metrics = LogMetricsAggregator()
        for pipeline in processor.pipelines {
            while try processor.processAvailable(pipeline, metrics: &metrics) {}
        }
    }

    @Test func everyRecordBecomesOneEntryWithItsOrigin() throws {
        let lines = (0..<500).map { #"{"level":"info","msg":"request \#($0)","n":\#($0)}"# }
        try produce(lines)
        let index = MemoryIndex()
        let processor = try processor(index)
        try drain(processor)
        let entries = index.all
        #expect(entries.count == 500)
        #expect(Set(entries.map(\.line)) == Set(lines.map { Array($0.utf8) }))
        #expect(Set(entries.map(\.origin)).count == 500)
        #expect(entries.allSatisfy { $0.stream["level"] == "info" && $0.stream["host"] == "web-1" })
        #expect(processor.statistics.recordsConsumed.load(ordering: .relaxed) == 500)
        #expect(processor.statistics.entriesIndexed.load(ordering: .relaxed) == 500)
        #expect(processor.lag().allSatisfy { $0.1 == 0 })
    }

    @Test func restartResumesAfterTheDurableOffsetsWithoutLossOrDuplicates() throws {
        try produce((0..<300).map { "first \($0)" })
        let index = MemoryIndex()
        try drain(try processor(index))
        try index.flush()
        try produce((0..<200).map { "second \($0)" })
        try drain(try processor(index))
        index.crash()  // the second part never became durable
        try produce((0..<100).map { "third \($0)" })
        let restarted = try processor(index)
        try drain(restarted)
        let lines = index.all.map { String(decoding: $0.line, as: UTF8.self) }
        #expect(lines.count == 600)
        #expect(Set(lines).count == 600)
        #expect(restarted.statistics.recordsConsumed.load(ordering: .relaxed) == 300, "re-read only what was not durable")
    }

    @Test func reconsumedRecordsAreIndexedOnce() throws {
        try produce((0..<50).map { "line \($0)" })
        let index = MemoryIndex()
        try drain(try processor(index))
        // A second processor that starts from the beginning (no durable offsets yet) sees duplicates only.
        let again = try processor(index)
        try drain(again)
        #expect(index.all.count == 50)
    }

    @Test func routesFiltersAndMetrics() throws {
        let config = PipelineConfig(name: "logs", steps: [
            .parse(format: "logfmt", pattern: nil, field: "message"),
            .route(when: Conditions([FieldCondition(field: "kind", test: .equals("audit"))]), topic: "audit", keep: false),
            .filter(when: Conditions([FieldCondition(field: "level", test: .equals("debug"))]), keepMatching: false),
        ])
        try produce(["kind=audit user=a msg=x", "kind=app level=debug msg=y", "kind=app level=info msg=z"])
        let index = MemoryIndex()
        let processor = try processor(index, pipelines: [config])
        try drain(processor)
        #expect(index.all.map { String(decoding: $0.line, as: UTF8.self) } == ["kind=app level=info msg=z"])
        #expect(processor.statistics.eventsRouted.load(ordering: .relaxed) == 1)
        #expect(processor.statistics.eventsDropped.load(ordering: .relaxed) == 1)
        // The routed event is a log event in the audit topic, readable by any consumer.
        var routed: [Record] = []
        for partition in 0..<(topics.partitionCount("audit") ?? 0) {
            let log = try #require(topics.partition(TopicPartition(topic: "audit", partition: partition))).log
            let read = try log.read(from: 0, maxBytes: 1 << 20)
            routed += try read.bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
        }
        #expect(routed.count == 1)
        let event = EventDecoder.decode(value: routed[0].value ?? [], key: routed[0].key, recordTimestamp: Timestamp(nanosecondsSinceEpoch: 0))
        #expect(event.messageText == "kind=audit user=a msg=x")
        #expect(event.fields["user"] == "a")
    }

    @Test func recordsWithoutValuesAreCountedNotFatal() throws {
        try produce(["before"])
        let log = try #require(topics.partition(TopicPartition(topic: "logs", partition: LocalTopicWriterHash.partition(of: "web-1", count: 2)))).log
        _ = try log.append(try RecordBatchBuilder().build([Record(timestamp: 0, key: Array("web-1".utf8), value: nil)]))
        try produce(["after"])
        let index = MemoryIndex()
        let processor = try processor(index)
        try drain(processor)
        #expect(index.all.map { String(decoding: $0.line, as: UTF8.self) } == ["before", "after"])
        #expect(processor.statistics.recordsUnreadable.load(ordering: .relaxed) == 1)
    }

    @Test func aTopicFeedsOnePipeline() throws {
        #expect(throws: PipelineConfigError.self) {
            _ = try processor(MemoryIndex(), pipelines: [PipelineConfig(name: "a"), PipelineConfig(name: "b")])
        }
    }
}

/// Mirrors LocalTopicWriter's choice of partition for a key (FNV-1a modulo the count).
enum LocalTopicWriterHash {
    static func partition(of key: String, count: Int32) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int32(hash % UInt32(count))
    }
}
