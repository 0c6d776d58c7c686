import Testing
import SluiceModel
import TestSupport
@testable import LogStore

/// The store against `ArrayLogSource` over a model of what it must hold, through appends
/// (with duplicates), flushes, restarts, crashes and retention.
@Suite struct RandomizedStoreTests {
    static let streams: [Labels] = [
        ["app": "web", "host": "h1"], ["app": "web", "host": "h2"], ["app": "db", "host": "h1"],
        ["app": "db", "env": "prod", "host": "h3"], ["app": "cache"], ["app": "we\"b\\x"],
    ]
    static let topics = ["logs", "audit"]

    /// What the store must hold: entries per part (for retention) and in the head.
    struct Model {
        var parts: [[LogEntry]] = []
        var head: [LogEntry] = []
        var accepted: [LogStore.TopicPartition: Int64] = [:]
        var durable: [LogStore.TopicPartition: Int64] = [:]
        var all: [LogEntry] { parts.flatMap { $0 } + head }

        mutating func flush() {
            if !head.isEmpty { parts.append(head) }
            head = []
            durable = accepted
        }

        mutating func crash() {
            head = []
            accepted = durable
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesTheReference(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let clock = TestClock()
        var generator = EntryGenerator(seed: seed)
        var configuration = LogStoreConfiguration.testing(directory.path, blockTargetBytes: [256, 2048][Int(seed % 2)])
        configuration.retentionNanoseconds = 5000
        configuration.compactionMinimumParts = nil  // the model predicts retention per flushed part
        var store = try LogStore(configuration: configuration, now: clock.function)
        var model = Model()
        var nextOffset: [LogStore.TopicPartition: Int64] = [:]
        var produced: [LogEntry] = []
        var scans = 0

        for _ in 0..<40 {
            // A batch: new records (some filtered out, so only `through` covers them), and
            // sometimes records already consumed, as after a processor restart.
            var batch: [LogEntry] = []
            var through: [LogStore.TopicPartition: Int64] = [:]
            if generator.chance(25), !produced.isEmpty {
                let start = generator.int(0..<produced.count)
                batch += produced[start..<min(produced.count, start + generator.int(1..<50))]
            }
            for _ in 0..<generator.int(0..<120) {
                let key = LogStore.TopicPartition(topic: Self.topics[generator.int(0..<2)], partition: Int32(generator.int(0..<2)))
                let offset = nextOffset[key, default: 0]
                nextOffset[key] = offset + 1
                through[key] = offset
                guard generator.chance(90) else { continue }
                let time = clock.now.nanosecondsSinceEpoch + Int64(generator.int(-3000..<1000))
                let new = LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: time),
                                   stream: Self.streams[generator.int(0..<Self.streams.count)],
                                   line: generator.line(), metadata: generator.metadata(),
                                   origin: RecordOrigin(topic: key.topic, partition: key.partition, offset: offset))
                batch.append(new)
                produced.append(new)
            }
            // Per partition ascending, as the processor delivers them.
            batch.sort { ($0.origin.topic, $0.origin.partition, $0.origin.offset) < ($1.origin.topic, $1.origin.partition, $1.origin.offset) }
            var expectedNew = 0
            for candidate in batch {
                let key = LogStore.TopicPartition(topic: candidate.origin.topic, partition: candidate.origin.partition)
                if candidate.origin.offset > model.accepted[key] ?? -1 {
                    model.accepted[key] = candidate.origin.offset
                    model.head.append(candidate)
                    expectedNew += 1
                }
            }
            for (key, offset) in through { model.accepted[key] = max(model.accepted[key] ?? -1, offset) }
            #expect(try store.append(batch, through: through) == expectedNew)
            clock.advance(Int64(generator.int(0..<800)))

            switch generator.int(0..<10) {
            case 0..<3:
                try store.flush()
                model.flush()
            case 3:
                try store.close()
                model.flush()
                store = try LogStore(configuration: configuration, now: clock.function)
                #expect(store.recoveryReport.isEmpty)
            case 4:
                store = try LogStore(configuration: configuration, now: clock.function)  // crash: head lost
                model.crash()
            case 5:
                let cutoff = clock.now.nanosecondsSinceEpoch - configuration.retentionNanoseconds!
                let removed = model.parts.filter { part in part.map(\.timestamp.nanosecondsSinceEpoch).max()! < cutoff }.count
                model.parts.removeAll { part in part.map(\.timestamp.nanosecondsSinceEpoch).max()! < cutoff }
                #expect(try store.applyRetention() == removed)
            default:
                break
            }
            #expect(store.committedOffsets() == model.durable)

            let reference = ArrayLogSource(model.all)
            let byOrigin = Dictionary(uniqueKeysWithValues: model.all.map { ($0.origin, $0) })
            for _ in 0..<8 {
                let scan = randomScan(&generator, now: clock.now.nanosecondsSinceEpoch)
                let got = try collect(store, scan)
                let want = try collect(reference, scan)
                // Both sides keep what a query's line filters would keep.
                func kept(_ scanned: ScannedEntry) -> Bool {
                    let line = byOrigin[scanned.entry.origin]!.line
                    return scan.requiredSubstrings.allSatisfy { needle in contains(line, needle) }
                }
                #expect(got.filter(kept).map(\.entry) == want.filter(kept).map(\.entry))
                #expect(got.filter(kept).map(\.lineLength) == want.filter(kept).map(\.lineLength))
                var labelsByID: [Int: Labels] = [:]
                var idByLabels: [Labels: Int] = [:]
                for scanned in got {
                    #expect(labelsByID.updateValue(scanned.entry.stream, forKey: scanned.streamID) ?? scanned.entry.stream == scanned.entry.stream)
                    #expect(idByLabels.updateValue(scanned.streamID, forKey: scanned.entry.stream) ?? scanned.streamID == scanned.streamID)
                }
                #expect(try store.streams(matching: scan.matchers, start: scan.start, end: scan.end)
                    == reference.streams(matching: scan.matchers, start: scan.start, end: scan.end))
                scans += 1
            }
        }
        #expect(scans == 320)
        #expect(store.statistics.blocksScanned > 0)
    }

    func randomScan(_ generator: inout EntryGenerator, now: Int64) -> LogScan {
        var matchers: [LabelMatcher] = []
        for _ in 0..<generator.int(0..<3) {
            let name = ["app", "host", "env"][generator.int(0..<3)]
            let op = LabelMatcher.Operator.allCases[generator.int(0..<4)]
            let value: String
            switch op {
            case .equal, .notEqual: value = ["web", "db", "h1", "h3", "prod", ""][generator.int(0..<6)]
            case .matchesRegex, .notMatchesRegex: value = ["we.*", "db|cache", "h[12]", ".*", ".+"][generator.int(0..<5)]
            }
            matchers.append(try! LabelMatcher(name: name, op: op, value: value))
        }
        let start = generator.chance(20) ? Int64.min : now - Int64(generator.int(0..<30_000))
        let end = generator.chance(20) ? Int64.max : start &+ Int64(generator.int(0..<20_000))
        var needles: [[UInt8]] = []
        if generator.chance(40) {
            let word = EntryGenerator.words[generator.int(0..<EntryGenerator.words.count)]
            needles.append(Array([word, " \(word) ", "\(word) ", ", \(word)"][generator.int(0..<4)].utf8))
        }
        return LogScan(matchers: matchers, start: Timestamp(nanosecondsSinceEpoch: start),
                       end: Timestamp(nanosecondsSinceEpoch: end), direction: generator.chance(50) ? .forward : .backward,
                       requiredSubstrings: needles, needsLines: generator.chance(70),
                       metadataNames: [nil, [], ["level"], ["level", "user"]][generator.int(0..<4)])
    }
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    if needle.isEmpty { return true }
    guard haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
        return true
    }
    return false
}
