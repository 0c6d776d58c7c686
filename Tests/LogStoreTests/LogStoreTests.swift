import CommitLog
import Testing
import SluiceModel
import TestSupport
@testable import LogStore

#if canImport(Glibc)
import Glibc
#endif

@Suite struct LogStoreTests {
    let web: Labels = ["app": "web", "host": "h1"]
    let db: Labels = ["app": "db", "host": "h2"]
    let tp0 = LogStore.TopicPartition(topic: "logs", partition: 0)

    @Test func headAndPartsScanInOrderBothWays() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path), now: TestClock().function)
        let first = [entry(20, web, "b", offset: 0), entry(10, db, "a", offset: 1), entry(20, db, "c", offset: 2)]
        try store.append(first, through: [:])
        try store.flush()
        let second = [entry(15, web, "d", offset: 3), entry(20, web, "e", offset: 4)]
        try store.append(second, through: [:])
        let expected = (first + second).sorted(by: LogEntry.precedes)
        #expect(try collect(store, everything()).map(\.entry) == expected)
        #expect(try collect(store, everything(.backward)).map(\.entry) == expected.reversed())
        #expect(try store.streams(matching: [], start: .init(nanosecondsSinceEpoch: 0),
                                  end: .init(nanosecondsSinceEpoch: 100)) == [db, web])
        #expect(try store.labelNames(start: .init(nanosecondsSinceEpoch: 0), end: .init(nanosecondsSinceEpoch: 100)) == ["app", "host"])
        #expect(try store.labelValues("host", matchers: [LabelMatcher(name: "app", op: .equal, value: "web")],
                                      start: .init(nanosecondsSinceEpoch: 0), end: .init(nanosecondsSinceEpoch: 100)) == ["h1"])
    }

    @Test func blocksSpanHeadChunksInOrderOrNot() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path, blockTargetBytes: 3000), now: TestClock().function)
        var random = SplitMix64(seed: 5)
        // One stream in order (encoded from the head's chunks), one out of order (sorted first).
        let ordered = (0..<2000).map { entry(Int64($0), web, "ordered \($0)", offset: Int64($0)) }
        let shuffled = (0..<2000).map { entry(Int64.random(in: 0..<500, using: &random), db, "shuffled \($0)",
                                             partition: 1, offset: Int64($0)) }
        try store.append(ordered + shuffled, through: [:])
        try store.flush()
        #expect(store.statistics.entriesStored == 4000)
        let expected = (ordered + shuffled).sorted(by: LogEntry.precedes)
        #expect(try collect(store, everything()).map(\.entry) == expected)
        #expect(try collect(store, everything(.backward)).map(\.entry) == expected.reversed())
    }

    @Test func duplicatesAndHighWater() throws {
        let directory = TemporaryDirectory()
        let clock = TestClock()
        var store = try LogStore(configuration: .testing(directory.path), now: clock.function)
        let batch = (0..<10).map { entry(Int64($0), web, "line \($0)", offset: Int64($0)) }
        #expect(try store.append(batch, through: [:]) == 10)
        #expect(try store.append(Array(batch[5...]), through: [:]) == 0)
        #expect(store.committedOffsets().isEmpty)  // nothing durable before a flush
        try store.flush()
        #expect(store.committedOffsets() == [tp0: 9])
        // Records 10...14 were filtered out by the processor: `through` carries the mark past them.
        try store.append([], through: [tp0: 14])
        #expect(store.committedOffsets() == [tp0: 9])
        try store.close()
        store = try LogStore(configuration: .testing(directory.path), now: clock.function)
        #expect(store.committedOffsets() == [tp0: 14])
        #expect(try store.append(batch + [entry(99, web, "new", offset: 15)], through: [:]) == 1)
        #expect(try collect(store, everything()).count == 11)
        #expect(store.statistics.duplicatesSkipped == 10)
        #expect(store.statistics.entriesIndexed == 1)
    }

    @Test func flushIfDueBySizeAndAge() throws {
        let directory = TemporaryDirectory()
        let clock = TestClock()
        var configuration = LogStoreConfiguration.testing(directory.path)
        configuration.maxHeadBytes = 100
        configuration.maxHeadAgeNanoseconds = 1000
        let store = try LogStore(configuration: configuration, now: clock.function)
        #expect(try !store.flushIfDue())
        try store.append([entry(1, web, "short", offset: 0)], through: [:])
        #expect(try !store.flushIfDue())
        clock.advance(1000)
        #expect(try store.flushIfDue())
        #expect(store.statistics.parts == 1)
        try store.append([entry(2, web, String(repeating: "x", count: 100), offset: 1)], through: [:])
        #expect(try store.flushIfDue())
        #expect(store.statistics.parts == 2)
        // An advance of `through` alone is made durable by age too.
        try store.append([], through: [tp0: 7])
        clock.advance(1000)
        #expect(try store.flushIfDue())
        #expect(store.committedOffsets() == [tp0: 7])
        #expect(store.statistics.parts == 2)
    }

    @Test func backgroundFlushWritesThePartAndReportsFailuresOnTheNextCall() throws {
        let directory = TemporaryDirectory()
        var configuration = LogStoreConfiguration.testing(directory.path)
        configuration.maxHeadBytes = 100
        let store = try LogStore(configuration: configuration, now: TestClock().function)
        #expect(try !store.flushInBackgroundIfDue())
        try store.append([entry(1, web, String(repeating: "x", count: 100), offset: 0)], through: [:])
        #expect(try store.flushInBackgroundIfDue())
        // Appends go on into a fresh head while the full one is written.
        try store.append([entry(2, web, "next", offset: 1)], through: [:])
        store.waitForBackgroundFlush()
        #expect(store.statistics.parts == 1)
        // The flush took the head when it ran: with or without the second entry.
        #expect([[tp0: 0], [tp0: 1]].contains(store.committedOffsets()))
        #expect(try collect(store, everything()).map(\.entry.line) == [Array(String(repeating: "x", count: 100).utf8), Array("next".utf8)])

        // A failed background write keeps the head in memory (still served), is thrown by
        // the next call, and the head is written by the flush after that.
        let parts = directory.path + "/" + LogStoreFileNames.partsDirectory
        try FileSystem.remove(parts + "/" + (try FileSystem.contents(of: parts)).first!)
        #expect(rmdir(parts) == 0)
        try store.append([entry(3, web, String(repeating: "y", count: 100), offset: 2)], through: [:])
        #expect(try store.flushInBackgroundIfDue())
        store.waitForBackgroundFlush()
        #expect(throws: (any Error).self) { try store.flushInBackgroundIfDue() }
        #expect(try collect(store, everything()).count == 3)
        try FileSystem.createDirectory(parts)
        try store.flush()
        #expect(store.statistics.parts == 2)
        #expect(store.committedOffsets() == [tp0: 2])
    }

    /// A part's lines lacking a required substring are not handed, and the lines that are
    /// keep their metadata.
    @Test func requiredSubstringsLeaveOutPartLinesLackingThem() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path), now: TestClock().function)
        let entries: [LogEntry] = (0..<200).map { (number: Int) -> LogEntry in
            let isOrder = number % 50 == 7
            let line = isOrder ? "order id=\(number) found" : "other line \(number)"
            let metadata: Labels = ["id": "\(number)", "kind": isOrder ? "order" : "other"]
            return entry(Int64(number), web, line, metadata: metadata, offset: Int64(number))
        }
        try store.append(entries, through: [:])
        try store.flush()
        var scan = everything()
        scan.requiredSubstrings = [Array("id=".utf8), Array("found".utf8)]
        let handed = try collect(store, scan).map(\.entry)
        #expect(handed == entries.filter { $0.metadata["kind"] == "order" })
    }

    @Test func tornPartAndLeftoverTemporaryFile() throws {
        let directory = TemporaryDirectory()
        let clock = TestClock()
        var random = SplitMix64(seed: 11)
        for round in 0..<8 {
            let path = directory.sub("round\(round)")
            var store = try LogStore(configuration: .testing(path), now: clock.function)
            let durable = (0..<50).map { entry(Int64($0), web, "durable \($0)", offset: Int64($0)) }
            let lost = (50..<100).map { entry(Int64($0), db, "lost \($0)", offset: Int64($0)) }
            try store.append(durable, through: [:])
            try store.flush()
            let marksAfterFirst = try FileSystem.readWholeFile(path + "/" + LogStoreFileNames.committedOffsets)
            try store.append(lost, through: [:])
            try store.flush()
            // Crash between renaming the second part and replacing the marks, with the part torn.
            let partsPath = path + "/" + LogStoreFileNames.partsDirectory
            let second = try FileSystem.contents(of: partsPath).last!
            let size = try FileHandle.open(partsPath + "/" + second).size()
            try FileHandle.open(partsPath + "/" + second).truncate(to: Int.random(in: 0..<size, using: &random))
            try FileSystem.writeAtomically(marksAfterFirst, to: path + "/" + LogStoreFileNames.committedOffsets, directory: path)
            let leftover = try FileHandle.open(partsPath + "/x.part.tmp", create: true)
            try leftover.write([1, 2, 3], at: 0)
            store = try LogStore(configuration: .testing(path), now: clock.function)

            #expect(store.recoveryReport.count == 2)
            #expect(store.recoveryReport.contains { $0.contains("refused part") && $0.contains(second) })
            #expect(store.recoveryReport.contains { $0.contains("x.part.tmp") })
            #expect(FileSystem.exists(partsPath + "/" + second + LogStoreFileNames.corruptSuffix))
            #expect(store.committedOffsets() == [tp0: 49])
            #expect(try collect(store, everything()).map(\.entry) == durable)
            // The processor re-consumes from the mark: the lost entries come back once.
            #expect(try store.append(durable + lost, through: [:]) == 50)
            #expect(try collect(store, everything()).map(\.entry) == durable + lost)
            try store.close()
            store = try LogStore(configuration: .testing(path), now: clock.function)
            #expect(store.recoveryReport.isEmpty)
            #expect(try collect(store, everything()).count == 100)
        }
    }

    @Test func failedFlushKeepsTheHeadServedAndRetriesIt() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path), now: TestClock().function)
        let first = (0..<5).map { entry(Int64($0 * 2), web, "first \($0)", offset: Int64($0)) }
        try store.append(first, through: [:])
        let parts = directory.sub(LogStoreFileNames.partsDirectory)
        #expect(rename(parts, parts + "-away") == 0)
        #expect(throws: LogError.self) { try store.flush() }
        #expect(store.committedOffsets().isEmpty)
        let second = (5..<10).map { entry(Int64($0 * 2 - 9), web, "second \($0)", offset: Int64($0)) }
        try store.append(second, through: [:])
        #expect(try collect(store, everything()).map(\.entry) == (first + second).sorted(by: LogEntry.precedes))
        #expect(rename(parts + "-away", parts) == 0)
        try store.flush()  // both heads, one stream in each, go into one part
        #expect(store.statistics.parts == 1)
        #expect(store.statistics.headEntries == 0)
        #expect(store.committedOffsets() == [tp0: 9])
        #expect(try collect(store, everything()).map(\.entry) == (first + second).sorted(by: LogEntry.precedes))
    }

    @Test func compactionMergesSmallPartsAndSurvivesACrash() throws {
        let directory = TemporaryDirectory()
        var configuration = LogStoreConfiguration.testing(directory.path)
        configuration.compactionMinimumParts = 4
        var store = try LogStore(configuration: configuration, now: TestClock().function)
        var all: [LogEntry] = []
        var firstPart: (name: String, bytes: [UInt8])?
        let partsPath = directory.sub(LogStoreFileNames.partsDirectory)
        for round in 0..<6 {
            let batch = (0..<10).map { entry(Int64(100 - round * 10 + $0), $0 % 2 == 0 ? web : db, "r\(round) e\($0)",
                                             offset: Int64(round * 10 + $0)) }
            all += batch
            try store.append(batch, through: [:])
            try store.flush()
            if round == 0 {
                let name = try FileSystem.contents(of: partsPath).first!
                firstPart = (name, try FileSystem.readWholeFile(partsPath + "/" + name))
            }
        }
        #expect(store.statistics.parts == 3)  // four merged at the fourth flush, then two more
        #expect(store.statistics.entriesStored == 60)
        #expect(store.committedOffsets() == [tp0: 59])
        let expected = all.sorted(by: LogEntry.precedes)
        #expect(try collect(store, everything()).map(\.entry) == expected)
        try store.close()

        // A crash between writing the merged part and deleting the merged ones leaves one behind.
        try FileHandle.open(partsPath + "/" + firstPart!.name, create: true).write(firstPart!.bytes, at: 0)
        store = try LogStore(configuration: configuration, now: TestClock().function)
        #expect(store.recoveryReport.count == 1)
        #expect(store.recoveryReport.first?.contains(firstPart!.name) == true)
        #expect(try collect(store, everything()).map(\.entry) == expected)
        #expect(!FileSystem.exists(partsPath + "/" + firstPart!.name))
    }

    @Test func corruptColumnIsAnErrorNotData() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path), now: TestClock().function)
        try store.append((0..<20).map { entry(Int64($0), web, "some line \($0)", offset: Int64($0)) }, through: [:])
        try store.flush()
        let partsPath = directory.sub(LogStoreFileNames.partsDirectory)
        let file = try FileHandle.open(partsPath + "/" + (try FileSystem.contents(of: partsPath)).first!)
        try file.write([0xFF, 0xFF], at: 0)
        #expect(throws: LogStoreError.self) { try collect(store, everything()) }
    }

    @Test func retentionByAgeAndBytes() throws {
        let directory = TemporaryDirectory()
        let clock = TestClock()
        var configuration = LogStoreConfiguration.testing(directory.path)
        configuration.retentionNanoseconds = 1000
        let store = try LogStore(configuration: configuration, now: clock.function)
        for part in 0..<5 {
            try store.append((0..<10).map { entry(Int64(part * 1000 + $0), web, "p\(part) \($0)", offset: Int64(part * 10 + $0)) },
                             through: [:])
            try store.flush()
        }
        clock.set(3000)  // cutoff 2000: parts whose newest entry is before it go
        // A scan that started before retention keeps reading the removed parts.
        var seen = 0
        try store.scan(everything()) { _ in
            if seen == 0 { #expect(try! store.applyRetention() == 2) }
            seen += 1
            return true
        }
        #expect(seen == 50)
        #expect(try collect(store, everything()).count == 30)
        #expect(store.committedOffsets() == [tp0: 49])

        let sizes = try FileSystem.contents(of: directory.sub(LogStoreFileNames.partsDirectory)).map {
            try FileHandle.open(directory.sub(LogStoreFileNames.partsDirectory) + "/" + $0).size()
        }
        var bounded = configuration
        bounded.retentionNanoseconds = nil
        bounded.retentionBytes = sizes.reduce(0, +) - 1
        let reopened = try LogStore(configuration: bounded, now: clock.function)
        #expect(try reopened.applyRetention() == 1)
        #expect(try collect(reopened, everything()).first?.entry.line == Array("p3 0".utf8))
        #expect(reopened.statistics.parts == 2)
        #expect(reopened.committedOffsets() == [tp0: 49])
    }

    @Test func bloomSkipsBlocksWithoutARareToken() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path, blockTargetBytes: 512), now: TestClock().function)
        var entries: [LogEntry] = []
        for index in 0..<4000 {
            let host: Labels = ["host": "h\(index % 20)"]
            let line = index == 2345 ? "request failed code=needle42 retry" : "request ok id=\(index) took \(index % 97)ms"
            entries.append(entry(Int64(index), host, line, offset: Int64(index)))
        }
        try store.append(entries, through: [:])
        try store.flush()
        #expect(store.statistics.parts == 1)
        var scan = everything()
        scan.matchers = [try LabelMatcher(name: "host", op: .equal, value: "h5")]
        scan.requiredSubstrings = [Array("code=needle42 ".utf8)]
        let found = try collect(store, scan).filter { $0.entry.line.contains(Array("needle42".utf8)) }
        #expect(found.map(\.entry.origin.offset) == [2345])
        let statistics = store.statistics
        #expect(statistics.blocksScanned == 1)
        #expect(statistics.blocksSkippedByBloom >= 8)
        #expect(statistics.blocksSkippedByStream >= 19 * 8)
    }

    @Test func countOnlyScanLeavesLinesAndMetadataOut() throws {
        let directory = TemporaryDirectory()
        let store = try LogStore(configuration: .testing(directory.path), now: TestClock().function)
        try store.append([entry(1, web, "hello", metadata: ["level": "info", "trace": "t1"], offset: 0)], through: [:])
        for flushed in [false, true] {
            if flushed { try store.flush() }
            var scan = everything()
            scan.needsLines = false
            scan.metadataNames = []
            let countOnly = try collect(store, scan)
            #expect(countOnly.map(\.lineLength) == [5])
            #expect(countOnly.map(\.entry.line) == [[]])
            #expect(countOnly.map(\.entry.metadata) == [Labels()])
            scan.metadataNames = ["level"]
            #expect(try collect(store, scan).map(\.entry.metadata) == [["level": "info"]])
        }
    }
}
