import Foundation
import KafkaWire
import Testing
@testable import CommitLog

@Suite struct PartitionLogTests {
    @Test func appendAssignsDenseOffsetsAndReadsBack() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        var expected: [String] = []
        for tag in 0..<20 {
            let count = 1 + tag % 4
            let base = try log.append(try makeBatch(tag, count: count, compression: CompressionType.allCases[tag % 5]))
            #expect(base == Int64(expected.count))
            expected += (0..<count).map { "b\(tag)r\($0)" }
        }
        #expect(log.logStartOffset == 0)
        #expect(log.logEndOffset == Int64(expected.count))
        let all = try readAll(log)
        #expect(all.map { String(decoding: $0.value!, as: UTF8.self) } == expected)
        #expect(all.map(\.offset) == Array(0..<Int64(expected.count)))

        // Reading from any offset starts with the batch that contains it.
        for offset in 0..<Int64(expected.count) {
            let first = try records(in: try log.read(from: offset, maxBytes: 1).bytes)
            #expect(first.first!.offset <= offset && first.last!.offset >= offset)
        }
    }

    @Test func storedBatchKeepsProducerBytesExceptOffsetAndEpoch() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        _ = try log.append(try makeBatch(0, count: 5))
        let batch = try makeBatch(1, count: 2, compression: .zstd)
        try log.append(batch)
        let stored = try log.read(from: 5, maxBytes: 1 << 20).bytes
        #expect(stored.count == batch.bytes.count)
        #expect(stored[16...] == batch.bytes[16...])
        #expect(stored.bigEndianValue(Int64.self, at: 0) == 5)
        #expect(stored.bigEndianValue(Int32.self, at: 12) == PartitionLog.storedLeaderEpoch)
        #expect(try RecordBatch(validating: stored).header.baseOffset == 5)
    }

    @Test func readHonoursByteBudgetButAlwaysReturnsOneWholeBatch() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        let small = try makeBatch(0)
        for tag in 0..<10 { try log.append(try makeBatch(tag)) }
        let big = try makeBatch(99, count: 1, valueSize: 10_000)
        try log.append(big)

        let two = try log.read(from: 0, maxBytes: small.bytes.count * 2 + 5)
        #expect(two.bytes.count == small.bytes.count * 2)
        let oneTiny = try log.read(from: 4, maxBytes: 1)
        #expect(try records(in: oneTiny.bytes).map(\.offset) == [3, 4, 5])
        let oversized = try log.read(from: 30, maxBytes: 100)
        #expect(oversized.bytes.count == big.bytes.count)
        #expect(oversized.logEndOffset == 31)
    }

    @Test func readOutsideTheLogIsAnErrorAndAtTheEndIsEmpty() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        try log.append(try makeBatch(0))
        #expect(try log.read(from: 3, maxBytes: 100).bytes.isEmpty)
        #expect(throws: LogError.offsetOutOfRange(requested: 4, logStart: 0, logEnd: 3)) { try log.read(from: 4, maxBytes: 100) }
        #expect(throws: LogError.self) { try log.read(from: -1, maxBytes: 100) }
    }

    @Test func rollsBySizeAndReadsAcrossSegments() throws {
        let dir = TemporaryDirectory()
        let batchSize = try makeBatch(10).bytes.count
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition,
                                   config: LogConfig(segmentBytes: batchSize * 4, indexIntervalBytes: batchSize))
        for tag in 10..<27 { try log.append(try makeBatch(tag)) }
        #expect(log.segmentBaseOffsets == [0, 12, 24, 36, 48])
        #expect(try readAll(log, maxBytes: batchSize * 3).map(\.offset) == Array(0..<51))
        #expect(try readAll(log, from: 25).first?.offset == 25)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names.contains("00000000000000000012.log") && names.contains("00000000000000000012.index") && names.contains("00000000000000000012.timeindex"))
    }

    @Test func rollsByAge() throws {
        let dir = TemporaryDirectory()
        let clock = ManualClock()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition,
                                   config: LogConfig(segmentMilliseconds: 60_000), clock: clock.logClock)
        try log.append(try makeBatch(0))
        clock.advance(by: 59_999)
        try log.append(try makeBatch(1))
        #expect(log.segmentCount == 1)
        clock.advance(by: 1)
        try log.append(try makeBatch(2))
        #expect(log.segmentBaseOffsets == [0, 6])
    }

    @Test func rejectsBatchLargerThanASegment() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: LogConfig(segmentBytes: 200))
        #expect(throws: LogError.self) { try log.append(try makeBatch(0, valueSize: 500)) }
        #expect(log.logEndOffset == 0)
    }

    @Test func retentionBySizeDeletesWholeOldestSegments() throws {
        let dir = TemporaryDirectory()
        let batchSize = try makeBatch(0).bytes.count
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition,
                                   config: LogConfig(segmentBytes: batchSize * 2, retentionMilliseconds: -1, retentionBytes: Int64(batchSize * 5)))
        for tag in 0..<9 { try log.append(try makeBatch(tag)) }
        #expect(log.segmentCount == 5)
        #expect(try log.enforceRetention() == 2)
        #expect(log.logStartOffset == 12)
        #expect(log.sizeInBytes == Int64(batchSize * 5))
        #expect(throws: LogError.self) { try log.read(from: 11, maxBytes: 100) }
        #expect(try readAll(log).first?.offset == 12)
        #expect(!FileManager.default.fileExists(atPath: dir.sub("00000000000000000000.log")))
        #expect(try log.enforceRetention() == 0)
        try log.close()
        let reopened = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        #expect(reopened.logStartOffset == 12 && reopened.logEndOffset == 27)
    }

    @Test func retentionByTimeUsesEachSegmentsNewestRecord() throws {
        let dir = TemporaryDirectory()
        let clock = ManualClock(10_000_000)
        let batchSize = try makeBatch(0).bytes.count
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition,
                                   config: LogConfig(segmentBytes: batchSize * 2, retentionMilliseconds: 1_000), clock: clock.logClock)
        for tag in 0..<6 {
            // Segment n holds records stamped around 10_000_000 + 1000 n.
            try log.append(try makeBatch(tag, timestamp: 10_000_000 + Int64(tag / 2) * 1_000))
        }
        #expect(log.segmentCount == 3)
        clock.advance(by: 900)
        #expect(try log.enforceRetention() == 0)
        clock.advance(by: 200)
        #expect(try log.enforceRetention() == 1)
        #expect(log.logStartOffset == 6)
        clock.advance(by: 10_000)
        #expect(try log.enforceRetention() == 1, "the active segment is never deleted")
        #expect(log.logStartOffset == 12 && log.logEndOffset == 18)
    }

    @Test func offsetForTimestampFindsFirstRecordAtOrAfter() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition,
                                   config: LogConfig(segmentBytes: 2_000, indexIntervalBytes: 150))
        var generator = SystemRandomNumberGenerator()
        var all: [Record] = []
        for tag in 0..<80 {
            // Timestamps drift upward but are not monotonic, within and across batches.
            let base = 1_000_000 + Int64(tag) * 10 + Int64.random(in: -25...25, using: &generator)
            let batch = try RecordBatchBuilder(compression: CompressionType.allCases[tag % 5]).build((0..<3).map {
                Record(timestamp: base + Int64([7, -4, 2][$0]), value: [UInt8(tag), UInt8($0)])
            })
            try log.append(batch)
        }
        all = try readAll(log)
        #expect(log.segmentCount > 3)
        func expected(_ t: Int64) -> (Int64, Int64)? {
            all.first { $0.timestamp >= t }.map { ($0.offset, $0.timestamp) }
        }
        let probes = Array(stride(from: Int64(999_900), through: 1_000_900, by: 7)) + [Int64.min, 0, Int64.max]
        for t in probes {
            let found = try log.offset(forTimestamp: t)
            #expect(found?.offset == expected(t)?.0 && found?.timestamp == expected(t)?.1, "timestamp \(t)")
        }
        try log.close()
        let reopened = try PartitionLog(directory: dir.path, topicPartition: testPartition,
                                        config: LogConfig(segmentBytes: 2_000, indexIntervalBytes: 150))
        for t in probes.prefix(40) {
            #expect(try reopened.offset(forTimestamp: t)?.offset == expected(t)?.0, "after reopen, timestamp \(t)")
        }
    }

    @Test func cleanCloseReopensWithoutRecoveryAndContinues() throws {
        let dir = TemporaryDirectory()
        let config = LogConfig(segmentBytes: 1_000, indexIntervalBytes: 100)
        var log: PartitionLog? = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: config)
        for tag in 0..<30 { try log!.append(try makeBatch(tag)) }
        let before = try readAll(log!)
        try log!.close()
        #expect(throws: LogError.self) { try log!.append(try makeBatch(99)) }
        log = nil
        #expect(FileManager.default.fileExists(atPath: dir.sub(LogFileNames.cleanShutdown)))

        let reopened = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: config)
        #expect(reopened.recoveryReport.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.sub(LogFileNames.cleanShutdown)))
        #expect(reopened.logEndOffset == 90)
        #expect(try readAll(reopened) == before)
        #expect(try reopened.append(try makeBatch(30)) == 90)
        #expect(try readAll(reopened, from: 88).map(\.offset) == [88, 89, 90, 91, 92])
    }

    @Test func flushReportsDurableOffsetAndAdvancesRecoveryPointOnlyPastSealedSegments() throws {
        let dir = TemporaryDirectory()
        let batchSize = try makeBatch(0).bytes.count
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: LogConfig(segmentBytes: batchSize * 2))
        for tag in 0..<3 { try log.append(try makeBatch(tag)) }
        #expect(log.flushedOffset == 0)
        #expect(try log.flush() == 9)
        #expect(log.flushedOffset == 9)
        #expect(LogLoader.readRecoveryPoint(directory: dir.path) == 6)
        try log.append(try makeBatch(3))
        #expect(log.flushedOffset == 9)
    }

    @Test func damagedSealedIndexIsRebuilt() throws {
        let dir = TemporaryDirectory()
        let config = LogConfig(segmentBytes: 2_000, indexIntervalBytes: 100)
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: config)
        for tag in 0..<40 { try log.append(try makeBatch(tag)) }
        let expected = try readAll(log)
        try log.close()
        let first = dir.sub(LogFileNames.offsetIndex(0))
        var index = [UInt8](try Data(contentsOf: URL(fileURLWithPath: first)))
        #expect(index.count > 16)
        index.swapAt(4, 12)  // positions out of order
        try Data(index).write(to: URL(fileURLWithPath: first))
        try FileManager.default.removeItem(atPath: dir.sub(LogFileNames.timeIndex(0)))

        let reopened = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: config)
        for offset in stride(from: Int64(0), to: 120, by: 7) {
            #expect(try readAll(reopened, from: offset).first?.offset == offset)
        }
        #expect(try readAll(reopened) == expected)
        #expect(FileManager.default.fileExists(atPath: dir.sub(LogFileNames.timeIndex(0))))
        #expect(try reopened.offset(forTimestamp: 1_700_000_000_002)?.offset == 2)
    }
}

/// Clean shutdown: what the marker vouches for must be true.
@Suite struct CleanShutdownTests {
    @Test func closeRacingAppendsSyncsEverythingItVouchesFor() throws {
        for _ in 0..<10 {
            let dir = TemporaryDirectory()
            let log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: LogConfig(segmentBytes: 3_000))
            let writer = Thread {
                for tag in 0..<2_000 {
                    guard (try? log.append(try makeBatch(tag))) != nil else { return }
                }
            }
            writer.start()
            usleep(2_000)
            try log.close()
            while writer.isExecuting { usleep(100) }
            #expect(log.flushedOffset == log.logEndOffset)
            let end = log.logEndOffset
            let reopened = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: LogConfig(segmentBytes: 3_000))
            #expect(reopened.logEndOffset == end)
            #expect(reopened.recoveryReport.isEmpty)
        }
    }

    @Test func newestTimestampSurvivesCleanReopen() throws {
        let dir = TemporaryDirectory()
        let clock = ManualClock(1_000_000)
        let config = LogConfig(segmentBytes: 1_000, retentionMilliseconds: 300_000, indexIntervalBytes: 100)
        var log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: config, clock: clock.logClock)
        try log.append(try makeBatch(0, count: 1, timestamp: 1_000, valueSize: 200))
        try log.append(try makeBatch(1, count: 1, timestamp: 2_000))
        try log.append(try makeBatch(2, count: 1, timestamp: clock.now))
        #expect(try log.offset(forTimestamp: 2_500)?.offset == 2)
        try log.close()

        log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: config, clock: clock.logClock)
        #expect(try log.offset(forTimestamp: 2_500)?.offset == 2)
        while log.segmentCount < 2 { try log.append(try makeBatch(3, count: 1, timestamp: clock.now, valueSize: 300)) }
        #expect(try log.enforceRetention() == 0, "the sealed segment holds a record stamped now")
    }

    @Test func bytesAddedAfterACleanCloseAreRecovered() throws {
        let dir = TemporaryDirectory()
        var log = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        for tag in 0..<5 { try log.append(try makeBatch(tag)) }
        try log.close()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.sub(LogFileNames.log(0))))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([1, 2, 3, 4, 5, 6, 7]))
        try handle.close()
        log = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        #expect(!log.recoveryReport.isEmpty)
        #expect(log.logEndOffset == 15)
        #expect(try log.append(try makeBatch(9)) == 15)
        #expect(try readAll(log).count == 18)
    }
}
