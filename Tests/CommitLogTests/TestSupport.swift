import Foundation
import KafkaWire
import Synchronization
@_exported import TestSupport
@testable import CommitLog

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let milliseconds: Mutex<Int64>
    init(_ start: Int64 = 1_700_000_000_000) { milliseconds = Mutex(start) }
    func advance(by delta: Int64) { milliseconds.withLock { $0 += delta } }
    var now: Int64 { milliseconds.withLock { $0 } }
    var logClock: LogClock { LogClock { self.now } }
}

let testPartition = TopicPartition(topic: "logs", partition: 0)

/// A batch of `count` records whose values name their position ("b<batch>r<i>").
func makeBatch(_ tag: Int, count: Int = 3, timestamp: Int64 = 1_700_000_000_000, compression: CompressionType = .none, valueSize: Int = 0) throws -> RecordBatch {
    try RecordBatchBuilder(compression: compression).build((0..<count).map { index in
        Record(timestamp: timestamp + Int64(index), key: Array("k\(tag)".utf8),
               value: Array("b\(tag)r\(index)".utf8) + [UInt8](repeating: 0x2E, count: valueSize))
    })
}

/// Every record in the bytes of whole batches.
func records(in bytes: [UInt8]) throws -> [Record] {
    try bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
}

/// All records from `offset` to the log end, reading in `maxBytes` steps.
func readAll(_ log: PartitionLog, from offset: Int64? = nil, maxBytes: Int = 1 << 20) throws -> [Record] {
    var next = offset ?? log.logStartOffset
    var all: [Record] = []
    while next < log.logEndOffset {
        let result = try log.read(from: next, maxBytes: maxBytes)
        let batch = try records(in: result.bytes)
        guard let last = batch.last else { break }
        all += batch.filter { $0.offset >= next }
        next = last.offset + 1
    }
    return all
}
