import CommitLog
import Testing
import SluiceModel
import TestSupport
@testable import LogStore

/// `LogStore.scanColumns` (decoded on every core by `ColumnScanner`) against `scan`.
@Suite struct ColumnScannerTests {
    /// One entry as the two ways of reading can both tell it: the metadata is what the
    /// scan asked for (all of it when it asked for every name).
    struct Seen: Hashable {
        var stream: Labels
        var time: Int64
        var lineLength: Int
        var metadata: Labels
    }

    static func asked(_ metadata: Labels, _ names: Set<String>?) -> Labels {
        guard let names else { return metadata }
        var kept = Labels()
        for pair in metadata where names.contains(pair.name) { kept[pair.name] = pair.value }
        return kept
    }

    /// What `scanColumns` hands, as a multiset; also checks that stream ids name streams.
    static func columns(_ store: LogStore, _ scan: LogScan, lineLengths: Bool) throws -> [Seen: Int] {
        var seen: [Seen: Int] = [:]
        var streamOfID: [Int: Labels] = [:]
        try store.scanColumns(scan, lineLengths: lineLengths) { columns in
            #expect(streamOfID[columns.streamID, default: columns.stream] == columns.stream)
            streamOfID[columns.streamID] = columns.stream
            #expect(!columns.timestamps.isEmpty)
            #expect(columns.lineLengths.count == (lineLengths ? columns.timestamps.count : 0))
            #expect(columns.metadata.isEmpty || columns.metadata.count == columns.timestamps.count)
            for (position, time) in columns.timestamps.enumerated() {
                let metadata = columns.metadata.isEmpty ? Labels() : asked(columns.metadata[position], scan.metadataNames)
                let entry = Seen(stream: columns.stream, time: time,
                                 lineLength: lineLengths ? Int(columns.lineLengths[position]) : 0, metadata: metadata)
                seen[entry, default: 0] += 1
            }
            return true
        }
        #expect(Set(streamOfID.values).count == streamOfID.count, "one id per stream")
        return seen
    }

    /// What `scan` hands, as a multiset.
    static func entries(_ store: LogStore, _ scan: LogScan, lineLengths: Bool) throws -> [Seen: Int] {
        var seen: [Seen: Int] = [:]
        try store.scan(scan) { scanned in
            let entry = Seen(stream: scanned.entry.stream, time: scanned.entry.timestamp.nanosecondsSinceEpoch,
                             lineLength: lineLengths ? scanned.lineLength : 0,
                             metadata: asked(scanned.entry.metadata, scan.metadataNames))
            seen[entry, default: 0] += 1
            return true
        }
        return seen
    }

    @Test(arguments: [1, 2] as [UInt64])
    func handsWhatScanHands(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path, blockTargetBytes: 400), now: TestClock().function)
        var generator = EntryGenerator(seed: seed)
        let streams: [Labels] = [["app": "web", "host": "h1"], ["app": "web", "host": "h2"], ["app": "db", "host": "h1"],
                                 ["app": "db", "level": "warn"], ["app": "cache"]]
        var offset: Int64 = 0
        // Three parts and a head; times overlap between them, some repeat, some streams
        // never carry metadata.
        for batch in 0..<4 {
            var entries: [LogEntry] = []
            for _ in 0..<generator.int(300..<600) {
                let stream = generator.int(0..<streams.count)
                let time = Int64(batch * 500 + generator.int(-400..<1000))
                let metadata = stream == 4 || generator.chance(30) ? Labels() : generator.metadata()
                entries.append(LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: time), stream: streams[stream],
                                        line: generator.line(), metadata: metadata,
                                        origin: RecordOrigin(topic: "logs", partition: 0, offset: offset)))
                offset += 1
            }
            try store.append(entries, through: [:])
            if batch < 3 { try store.flush() }
        }
        #expect(store.statistics.parts == 3)
        #expect(store.statistics.headEntries > 0)

        var compared = 0
        for _ in 0..<60 {
            var scan = everything()
            if generator.chance(80) {
                // Bounds inside blocks, so that blocks straddle them.
                scan.start = Timestamp(nanosecondsSinceEpoch: Int64(generator.int(-500..<2000)))
                scan.end = Timestamp(nanosecondsSinceEpoch: scan.start.nanosecondsSinceEpoch + Int64(generator.int(0..<1500)))
            }
            scan.matchers = [[], [try LabelMatcher(name: "app", op: .equal, value: "web")],
                             [try LabelMatcher(name: "host", op: .matchesRegex, value: "h.*")],
                             [try LabelMatcher(name: "app", op: .notEqual, value: "web")]][generator.int(0..<4)]
            scan.metadataNames = [nil, [], ["level"], ["trace", "user"], ["absent"]][generator.int(0..<5)]
            scan.needsLines = false
            let lineLengths = generator.chance(50)
            let expected = try Self.entries(store, scan, lineLengths: lineLengths)
            let actual = try Self.columns(store, scan, lineLengths: lineLengths)
            let missing = expected.filter { actual[$0.key] != $0.value }
            let extra = actual.filter { expected[$0.key] == nil }
            #expect(missing.isEmpty && extra.isEmpty,
                    "\(missing.count) differ or are missing, e.g. \(missing.first as Any); \(extra.count) extra, e.g. \(extra.first as Any); scan \(scan)")
            compared += expected.values.reduce(0, +)
        }
        #expect(compared > 5000, "the scans should select entries")
    }

    @Test func stopsWhenAskedAndAfterAnError() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path, blockTargetBytes: 256), now: TestClock().function)
        try store.append((0..<3000).map { entry(Int64($0), ["host": "h\($0 % 3)"], "line \($0)", offset: Int64($0)) },
                         through: [:])
        try store.flush()
        var calls = 0
        try store.scanColumns(everything(), lineLengths: false) { _ in
            calls += 1
            return calls < 3
        }
        #expect(calls == 3)
        struct Stop: Error {}
        calls = 0
        #expect(throws: Stop.self) {
            try store.scanColumns(everything(), lineLengths: false) { _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
        var total = 0
        try store.scanColumns(everything(), lineLengths: true) { columns in
            total += columns.timestamps.count
            return true
        }
        #expect(total == 3000)
    }

    @Test func corruptBlockIsAnError() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path, blockTargetBytes: 256), now: TestClock().function)
        try store.append((0..<2000).map { entry(Int64($0), ["host": "h1"], "some line \($0)", offset: Int64($0)) }, through: [:])
        try store.flush()
        let partsPath = directory.sub(LogStoreFileNames.partsDirectory)
        let file = try FileHandle.open(partsPath + "/" + (try FileSystem.contents(of: partsPath)).first!)
        // A timestamps column in the middle of the part: some thread decodes it and fails.
        let blocks = store.state.withLock { $0.parts[0].index.blocks }
        try file.write([0xFF, 0xFF], at: blocks[blocks.count / 2].offset)
        #expect(throws: LogStoreError.self) {
            try store.scanColumns(everything(), lineLengths: false) { _ in true }
        }
    }
}
