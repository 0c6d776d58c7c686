import Foundation
import Testing
@testable import CommitLog

/// A real crash: a child process appends and fsyncs in a loop and is killed with SIGKILL
/// at random moments, many times over the same log. After every kill, every offset it had
/// reported as flushed must be there with its contents, and the log must be consistent.
@Suite struct CrashTests {
    static var writerExecutable: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("CommitLogCrashWriter") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    @Test func everyFlushedOffsetSurvivesSIGKILL() throws {
        let writer = try #require(Self.writerExecutable, "CommitLogCrashWriter must be built next to the tests (swift build --build-tests)")
        let dir = TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        var highestFlushed: Int64 = 0
        for round in 0..<25 {
            let process = Process()
            process.executableURL = writer
            process.arguments = [dir.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            usleep(UInt32.random(in: 20_000...250_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the writer stopped by itself")
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            for line in output.split(separator: "\n") where line.hasPrefix("flushed ") {
                highestFlushed = max(highestFlushed, Int64(line.dropFirst(8)) ?? 0)
            }

            let log = try PartitionLog(directory: dir.path, topicPartition: TopicPartition(topic: "crash", partition: 0),
                                       config: LogConfig(segmentBytes: 256 << 10, indexIntervalBytes: 1024))
            #expect(log.logEndOffset >= highestFlushed, "round \(round): lost flushed offsets")
            let all = try readAll(log)
            #expect(all.count == Int(log.logEndOffset))
            for record in all where String(decoding: record.value!.prefix { $0 != 0x2D }, as: UTF8.self) != "o\(record.offset)" {
                Issue.record("round \(round): offset \(record.offset) holds the wrong record")
                break
            }
        }
        #expect(highestFlushed > 0, "the writer never reported a flush")
    }
}
