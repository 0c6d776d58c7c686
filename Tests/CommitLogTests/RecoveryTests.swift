import Foundation
import KafkaWire
import Testing
@testable import CommitLog

/// Recovery after a crash: a torn or damaged tail is cut off, every intact batch before it
/// survives, and nothing after the damage is ever served.
@Suite struct RecoveryTests {
    static let config = LogConfig(segmentBytes: 4_000, indexIntervalBytes: 200)

    /// Builds a log of two sealed segments and an active one, "crashes" (drops it without
    /// close) and returns the records and the byte range of every batch in the active segment.
    static func crashedLog(at path: String) throws -> (records: [Record], activeBase: Int64, batches: [(base: Int64, start: Int, size: Int)]) {
        let log = try PartitionLog(directory: path, topicPartition: testPartition, config: config)
        var tag = 0
        while log.segmentCount < 3 || log.logEndOffset - log.segmentBaseOffsets.last! < 12 {
            try log.append(try makeBatch(tag, count: 1 + tag % 3, compression: CompressionType.allCases[tag % 5]))
            tag += 1
        }
        _ = try log.flush()
        for extra in 0..<2 { try log.append(try makeBatch(1000 + extra, count: 2)) }
        let records = try readAll(log)
        let activeBase = log.segmentBaseOffsets.last!
        var batches: [(Int64, Int, Int)] = []
        let active = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + LogFileNames.log(activeBase))))
        var position = 0
        try active.withUnsafeBytes { buffer in
            while position < buffer.count {
                let (base, size) = try #require(RecordBatchHeader.peekFraming(buffer, at: position))
                batches.append((base, position, size))
                position += size
            }
        }
        return (records, activeBase, batches)
    }

    static func copy(_ source: String, to destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    @Test func tornLastBatchAtEveryBytePosition() throws {
        let dir = TemporaryDirectory()
        let original = dir.sub("original")
        let (records, activeBase, batches) = try Self.crashedLog(at: original)
        let last = batches.last!
        for cut in 0..<last.size {
            let copy = dir.sub("cut")
            try Self.copy(original, to: copy)
            let segment = try FileHandle.open(copy + "/" + LogFileNames.log(activeBase))
            try segment.truncate(to: last.start + cut)

            let log = try PartitionLog(directory: copy, topicPartition: testPartition, config: Self.config)
            #expect(log.logEndOffset == last.base, "cut \(cut)")
            #expect(log.recoveryReport.isEmpty == (cut == 0), "cut \(cut)")
            #expect(try readAll(log) == records.filter { $0.offset < last.base }, "cut \(cut)")
            #expect(try log.append(try makeBatch(7)) == last.base)
            #expect(try readAll(log, from: last.base).map(\.value) == (try makeBatch(7).records().map(\.value)))
        }
    }

    @Test func randomFlippedBytesCutTheLogAtTheFirstDamagedBatch() throws {
        let dir = TemporaryDirectory()
        let original = dir.sub("original")
        let (records, activeBase, batches) = try Self.crashedLog(at: original)
        let activeSize = batches.last!.start + batches.last!.size
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<300 {
            let copy = dir.sub("flipped")
            try Self.copy(original, to: copy)
            let path = copy + "/" + LogFileNames.log(activeBase)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let flips = (0..<Int.random(in: 1...3, using: &generator)).map { _ in Int.random(in: 0..<activeSize, using: &generator) }
            for position in flips { bytes[position] ^= UInt8.random(in: 1...255, using: &generator) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let damaged = batches.first { $0.start + $0.size > flips.min()! }!

            let log = try PartitionLog(directory: copy, topicPartition: testPartition, config: Self.config)
            #expect(log.logEndOffset == damaged.base, "trial \(trial): flips at \(flips)")
            #expect(try readAll(log) == records.filter { $0.offset < damaged.base }, "trial \(trial)")
            #expect(!log.recoveryReport.isEmpty)
        }
    }

    @Test func damageInAnUnflushedSealedSegmentRemovesLaterSegments() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: Self.config)
        var tag = 0
        while log.segmentCount < 3 { try log.append(try makeBatch(tag)); tag += 1 }
        let all = try readAll(log)
        let second = log.segmentBaseOffsets[1]
        // Nothing was flushed, so the recovery point is 0 and every segment is verified.
        let path = dir.sub(LogFileNames.log(second))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 5] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let recovered = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: Self.config)
        let lastBatchBase = all.filter { $0.offset < log.segmentBaseOffsets[2] }.last!.offset - 2
        #expect(recovered.logEndOffset == lastBatchBase)
        #expect(recovered.segmentBaseOffsets == [0, second])
        #expect(try readAll(recovered) == all.filter { $0.offset < lastBatchBase })
        #expect(!FileManager.default.fileExists(atPath: dir.sub(LogFileNames.log(log.segmentBaseOffsets[2]))))
    }

    /// Segments below the recovery point are not read on open: that is what keeps recovery
    /// time independent of their size. (Damage there is the disk's, not a crash's.)
    @Test func segmentsBelowTheRecoveryPointAreNotScanned() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: Self.config)
        var tag = 0
        while log.segmentCount < 3 { try log.append(try makeBatch(tag)); tag += 1 }
        try log.flush()
        let end = log.logEndOffset
        #expect(LogLoader.readRecoveryPoint(directory: dir.path) == log.segmentBaseOffsets[2])
        let path = dir.sub(LogFileNames.log(0))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 5] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let reopened = try PartitionLog(directory: dir.path, topicPartition: testPartition, config: Self.config)
        #expect(reopened.logEndOffset == end)
        #expect(reopened.recoveryReport.isEmpty)
    }

    @Test func leftoverTemporaryFilesAreRemoved() throws {
        let dir = TemporaryDirectory()
        _ = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        FileManager.default.createFile(atPath: dir.sub("recovery-point.tmp"), contents: Data([1, 2, 3]))
        _ = try PartitionLog(directory: dir.path, topicPartition: testPartition)
        #expect(!FileManager.default.fileExists(atPath: dir.sub("recovery-point.tmp")))
    }
}
