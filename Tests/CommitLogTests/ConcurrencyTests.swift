import Dispatch
import Foundation
import KafkaWire
import Synchronization
import Testing
@testable import CommitLog

/// One writer, concurrent readers, retention and flushes at the same time: every read
/// returns whole, valid batches holding the offset asked for, or a clean out-of-range error.
@Suite struct ConcurrencyTests {
    @Test func readersFlushesAndRetentionAlongsideOneWriter() throws {
        let dir = TemporaryDirectory()
        let log = try PartitionLog(directory: dir.path, topicPartition: testPartition,
                                   config: LogConfig(segmentBytes: 8_000, retentionMilliseconds: -1, retentionBytes: 40_000, indexIntervalBytes: 300))
        let writerDone = Atomic<Bool>(false)
        let problems = Mutex<[String]>([])
        let readsDone = Atomic<Int>(0)
        let finished = DispatchGroup()
        for worker in 0..<4 {
            finished.enter()
            Thread {
                defer { finished.leave() }
                var generator = SystemRandomNumberGenerator()
                if worker == 0 { usleep(20_000) }  // let the others start first
                switch worker {
                case 0:
                    for tag in 0..<1_500 {
                        do { try log.append(try makeBatch(tag, count: 1 + tag % 4, compression: tag % 3 == 0 ? .lz4 : .none)) }
                        catch { problems.withLock { $0.append("append: \(error)") } }
                    }
                    writerDone.store(true, ordering: .releasing)
                case 1:
                    while !writerDone.load(ordering: .acquiring) {
                        do { try log.flush(); try log.enforceRetention() } catch { problems.withLock { $0.append("flush: \(error)") } }
                    }
                default:
                    while !writerDone.load(ordering: .acquiring) {
                        let start = log.logStartOffset
                        let end = log.logEndOffset
                        guard end > start else { continue }
                        let offset = Int64.random(in: start..<end, using: &generator)
                        do {
                            let result = try log.read(from: offset, maxBytes: Int.random(in: 1...5_000, using: &generator))
                            let read = try records(in: result.bytes)
                            if !(read.first!.offset <= offset && read.last!.offset >= offset) {
                                problems.withLock { $0.append("read \(offset) got \(read.first!.offset)…\(read.last!.offset)") }
                            }
                            readsDone.add(1, ordering: .relaxed)
                        } catch LogError.offsetOutOfRange {
                            // Retention moved the start past the offset meanwhile: allowed.
                        } catch {
                            problems.withLock { $0.append("read \(offset): \(error)") }
                        }
                    }
                }
            }.start()
        }
        finished.wait()
        #expect(problems.withLock { $0 } == [])
        #expect(readsDone.load(ordering: .relaxed) > 0)
        #expect(log.logStartOffset > 0, "retention ran")
        let tail = try readAll(log)
        #expect(tail.map(\.offset) == Array(log.logStartOffset..<log.logEndOffset))
    }
}
