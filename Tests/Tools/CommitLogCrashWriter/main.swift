// Child process of CommitLogTests' crash test: appends batches to a partition log in a
// loop, fsyncs every few appends, and prints "flushed <offset>" after each fsync returned.
// The test kills it with SIGKILL at random moments and checks that every offset it
// reported is still there. Record values are "o<offset>" so the test can check contents.
import CommitLog
import KafkaWire

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    print("usage: CommitLogCrashWriter <partition directory>")
    exit(2)
}
let log = try PartitionLog(
    directory: arguments[1], topicPartition: TopicPartition(topic: "crash", partition: 0),
    config: LogConfig(segmentBytes: 256 << 10, indexIntervalBytes: 1024))
var next = log.logEndOffset
var generator = SystemRandomNumberGenerator()
var round = 0
while true {
    let count = Int.random(in: 1...40, using: &generator)
    let records = (0..<count).map { index in
        Record(timestamp: 1_700_000_000_000 + next + Int64(index), key: nil,
               value: Array("o\(next + Int64(index))".utf8) + [UInt8](repeating: 0x2D, count: Int.random(in: 0...300, using: &generator)))
    }
    let codec = CompressionType.allCases[round % CompressionType.allCases.count]
    let base = try log.append(try RecordBatchBuilder(compression: codec).build(records))
    precondition(base == next, "offset \(base), expected \(next)")
    next += Int64(count)
    round += 1
    if round % 4 == 0 {
        let flushed = try log.flush()
        print("flushed \(flushed)")
        fflush(nil)
    }
}
