import Broker
import CommitLog
import Logging
import MetricStore
import Processors
import SluiceModel
import Synchronization
import Testing
import TestSupport

@Suite struct MetricProcessorTests {
    let directory = TemporaryDirectory()
    let topics: TopicStore
    let writer: LocalTopicWriter
    let base: Int64 = 1_795_000_000_000  // ms

    init() throws {
        topics = TopicStore(logs: try LogDirectory(path: directory.sub("log")))
        writer = LocalTopicWriter(topics: topics, defaultPartitions: 2)
    }

    func openStore() throws -> MetricStore {
        try MetricStore(configuration: MetricStoreConfiguration(directory: directory.sub("metrics")),
                        now: { Timestamp(nanosecondsSinceEpoch: 1_795_000_000_000_000_000) })
    }

    func processor(_ store: MetricStore) -> MetricProcessor {
        MetricProcessor(store: store, topics: topics, logger: Logger(label: "test"))
    }

    func batch(host: String, step: Int, _ samples: [MetricSample]) -> MetricBatch {
        MetricBatch(timestamp: Timestamp(nanosecondsSinceEpoch: (base + Int64(step) * 10_000) * 1_000_000), host: host, samples: samples)
    }

    func produce(_ batches: [MetricBatch]) throws {
        try writer.append(topic: "metrics", records: batches.map {
            (key: Array($0.host.utf8), value: $0.encodeJSON(), timestampMilliseconds: $0.timestamp.millisecondsSinceEpoch)
        }, durable: false)
    }

    func produceRaw(_ values: [String], host: String) throws {
        try writer.append(topic: "metrics", records: values.map { (key: Array(host.utf8), value: Array($0.utf8), timestampMilliseconds: base) },
                          durable: false)
    }

    func drain(_ processor: MetricProcessor) throws {
        while try processor.processAvailable() {}
    }

    func hostSamples(_ host: String, step: Int) -> [MetricSample] {
        (0..<8).map { cpu in
            MetricSample(name: "node_cpu_seconds_total", labels: ["cpu": "\(cpu)", "mode": "idle"], value: Double(step * 10 + cpu) + 0.25)
        } + [MetricSample(name: "node_load1", value: Double(step) / 100),
             MetricSample(name: "node_uname_info", labels: ["host": "given-" + host], value: 1)]
    }

    @Test func everySampleIsIndexedWithItsHost() throws {
        var batches: [MetricBatch] = []
        for step in 0..<30 {
            for host in ["web-1", "web-2", "db-1"] { batches.append(batch(host: host, step: step, hostSamples(host, step: step))) }
        }
        try produce(batches)
        let store = try openStore()
        let processor = processor(store)
        try drain(processor)
        #expect(processor.statistics.recordsConsumed.load(ordering: .relaxed) == 90)
        #expect(processor.statistics.samplesAppended.load(ordering: .relaxed) == 900)
        let cpu = try store.samples(matching: [try LabelMatcher(name: "__name__", op: .equal, value: "node_cpu_seconds_total"),
                                               try LabelMatcher(name: "host", op: .equal, value: "web-2"),
                                               try LabelMatcher(name: "cpu", op: .equal, value: "3")], start: .min, end: .max)
        #expect(cpu.count == 1)
        #expect(cpu.first?.timestamps == (0..<30).map { base + Int64($0) * 10_000 })
        let expected: [Double] = (0..<30).map { (step: Int) -> Double in Double(step * 10 + 3) + 0.25 }
        #expect(cpu.first?.values == expected)
        // A sample's own host label wins over the batch's.
        #expect(store.labelValues(name: "host", matching: [[try LabelMatcher(name: "__name__", op: .equal, value: "node_uname_info")]]) == ["given-db-1", "given-web-1", "given-web-2"])
        #expect(store.labelValues(name: "host").count == 6)
        #expect(processor.lag().allSatisfy { $0.1 == 0 })
    }

    @Test func nonFiniteValuesArriveAsWritten() throws {
        try produce([batch(host: "h", step: 0, [MetricSample(name: "a", value: .nan), MetricSample(name: "b", value: .infinity),
                                                 MetricSample(name: "c", value: -.infinity), MetricSample(name: "d", value: 1e-7)])])
        let store = try openStore()
        try drain(processor(store))
        let values = Dictionary(uniqueKeysWithValues: try store.samples(matching: [], start: .min, end: .max).map {
            ($0.labels["__name__"] ?? "", $0.values[0])
        })
        #expect(values["a"]?.isNaN == true && values["a"].map(StaleMarker.isStale) == false)
        #expect(values["b"] == .infinity && values["c"] == -.infinity && values["d"] == 1e-7)
    }

    @Test func invalidRecordsAreCountedAndSkipped() throws {
        try produce([batch(host: "h", step: 0, [MetricSample(name: "m", value: 1)])])
        try produceRaw(["not json", #"{"timestamp":"2026-01-01T00:00:00Z"}"#, #"{"timestamp":"bad","samples":[]}"#], host: "h")
        try produce([batch(host: "h", step: 1, [MetricSample(name: "m", value: 2), MetricSample(name: "", value: 5)])])
        let store = try openStore()
        let processor = processor(store)
        try drain(processor)
        #expect(processor.statistics.recordsInvalid.load(ordering: .relaxed) == 3)
        #expect(processor.statistics.samplesRejected.load(ordering: .relaxed) == 1)
        #expect(try store.samples(matching: [try LabelMatcher(name: "__name__", op: .equal, value: "m")], start: .min, end: .max)
            .first?.values == [1, 2])
        // The marks passed the invalid records too.
        let partition = try #require(store.acceptedOffsets().first)
        #expect(partition.value == 4)
    }

    @Test func seriesAHostStopsSendingGetAStaleMarker() throws {
        let a = MetricSample(name: "a", value: 1), b = MetricSample(name: "b", value: 2)
        try produce([batch(host: "h", step: 0, [a, b]), batch(host: "h", step: 1, [a]), batch(host: "h", step: 2, [a, b]),
                     batch(host: "h", step: 1, [a]),  // an older batch again: no staleness from it
                     batch(host: "other", step: 3, [])])
        let store = try openStore()
        let processor = processor(store)
        try drain(processor)
        let read = try store.samples(matching: [try LabelMatcher(name: "__name__", op: .equal, value: "b")], start: .min, end: .max)
        #expect(read.first?.timestamps == [base, base + 10_000, base + 20_000])
        #expect(read.first.map { $0.values.map(StaleMarker.isStale) } == [false, true, false])
        #expect(processor.statistics.staleMarkers.load(ordering: .relaxed) == 1)
        #expect(try store.samples(matching: [try LabelMatcher(name: "__name__", op: .equal, value: "a")], start: .min, end: .max)
            .first?.values.contains(where: StaleMarker.isStale) == false)
    }

    @Test func restartResumesFromTheFlushedOffsetsWithoutLossOrDuplicates() throws {
        func batches(_ steps: Range<Int>) -> [MetricBatch] {
            steps.flatMap { step in ["a", "b", "c", "d"].map { batch(host: $0, step: step, hostSamples($0, step: step)) } }
        }
        try produce(batches(0..<20))
        var store: MetricStore? = try openStore()
        try drain(processor(try #require(store)))
        try store?.flush()
        try produce(batches(20..<30))
        try drain(processor(try #require(store)))
        store = nil  // a crash: steps 20..<30 were only in the head
        try produce(batches(30..<35))

        let reopened = try openStore()
        let restarted = processor(reopened)
        try drain(restarted)
        #expect(restarted.statistics.recordsConsumed.load(ordering: .relaxed) == 60, "re-read only what was not flushed")
        #expect(restarted.statistics.samplesDuplicate.load(ordering: .relaxed) == 0)
        let all = try reopened.samples(matching: [], start: .min, end: .max)
        #expect(all.count == 4 * 10)
        #expect(all.allSatisfy { $0.timestamps == (0..<35).map { base + Int64($0) * 10_000 } })
        // A second processor on the same store (positions lost) skips what the store holds.
        let second = processor(reopened)
        try drain(second)
        #expect(second.statistics.samplesAppended.load(ordering: .relaxed) == 0)
        #expect(second.statistics.recordsAlreadyStored.load(ordering: .relaxed) == 60)
    }

    @Test func samplesFromOutsideTheTopicMoveNoOffsets() throws {
        let store = try openStore()
        let processor = processor(store)
        let result = try processor.append([MetricSeriesSamples(labels: ["__name__": "sluice_up"], timestamps: [base], values: [1])])
        #expect(result.appended == 1)
        #expect(store.acceptedOffsets().isEmpty)
        #expect(try store.samples(matching: [], start: .min, end: .max).first?.labels == ["__name__": "sluice_up"])
    }
}
