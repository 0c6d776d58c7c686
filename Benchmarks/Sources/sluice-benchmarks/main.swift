// Commit log and CRC-32C throughput, each measured `runs` times, with the median reported
// beside the same machine's raw figures (dd to the same filesystem) from the same run.
import CommitLog
import Foundation
import KafkaWire

struct Options {
    var runs = 5
    var workDirectory = "/tmp/sluice-benchmarks"

    static func parse() -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            switch flag {
            case "--runs": options.runs = Int(arguments.popFirst() ?? "") ?? options.runs
            case "--dir": options.workDirectory = arguments.popFirst() ?? options.workDirectory
            default: fatalError("usage: sluice-benchmarks [--runs N] [--dir PATH]")
            }
        }
        return options
    }
}

let options = Options.parse()
let runs = options.runs
let workDirectory = options.workDirectory

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Median over `runs` of `bytes / seconds`, in MB/s (10^6 bytes).
func throughput(_ name: String, runs: Int = options.runs, bytes: Int, setUp: () throws -> Void = {}, _ body: () throws -> Void) rethrows -> Double {
    var rates: [Double] = []
    for _ in 0..<runs {
        try setUp()
        let start = now()
        try body()
        rates.append(Double(bytes) / (now() - start) / 1e6)
    }
    let result = median(rates)
    print(String(format: "%-58@ %10.0f MB/s   (runs: %@)", name as NSString, result,
                 rates.map { String(format: "%.0f", $0) }.joined(separator: " ") as NSString))
    return result
}

func shell(_ command: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try! process.run()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "failed: \(command)")
}

func removeAll(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
let mebibyte = 1 << 20
let partition = TopicPartition(topic: "bench", partition: 0)

// A 1 MiB batch of 100-byte records, uncompressed, as a producer would send it.
let recordCount = (mebibyte - RecordBatchHeader.size) / 108
let batch = try RecordBatchBuilder().build((0..<recordCount).map { index in
    Record(timestamp: 1_700_000_000_000 + Int64(index), key: nil,
           value: Array(String(format: "%099d", index).utf8))
})
print("batch: \(batch.bytes.count) bytes, \(recordCount) records of 100-byte values; CRC-32C hardware: \(CRC32C.usesHardware)")

// MARK: CRC-32C
let crcBuffer = (0..<(64 * mebibyte)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
var sink: UInt32 = 0
_ = try throughput("CRC-32C, 64 MiB buffer", bytes: crcBuffer.count * 8) {
    crcBuffer.withUnsafeBytes { for _ in 0..<8 { sink ^= CRC32C.checksum($0) } }
}
_ = try throughput("CRC-32C portable table (for comparison)", bytes: crcBuffer.count) {
    crcBuffer.withUnsafeBytes { sink ^= CRC32C.portableChecksum($0) }
}

// MARK: Append, page cache
// dd and the log alternate, each after a `sync`, so that neither pays for the other's
// write-back; the files of the previous run are deleted first.
let volumeMiB = 1024
let logDirectory = workDirectory + "/bench-0"
let ddFile = workDirectory + "/dd.bin"
func settle() {
    removeAll(ddFile)
    removeAll(logDirectory)
    shell("sync")
}
let ddPageCache = try throughput("dd bs=1M, \(volumeMiB) MiB (page cache)", bytes: volumeMiB * mebibyte, setUp: settle) {
    shell("dd if=/dev/zero of=\(ddFile) bs=1M count=\(volumeMiB)")
}
let rawWrite = try throughput("pwrite of the batch bytes in a loop, \(volumeMiB) MiB", bytes: volumeMiB * mebibyte, setUp: settle) {
    let fd = open(ddFile, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    var position = 0
    batch.bytes.withUnsafeBytes { buffer in
        for _ in 0..<volumeMiB {
            position += pwrite(fd, buffer.baseAddress, buffer.count, off_t(position))
        }
    }
    close(fd)
}
let append = try throughput("commit log append, 1 MiB batches, \(volumeMiB) MiB", bytes: volumeMiB * mebibyte, setUp: settle) {
    let log = try PartitionLog(directory: logDirectory, topicPartition: partition)
    for _ in 0..<volumeMiB { try log.append(batch) }
}
_ = try throughput("commit log validate (CRC) + append, \(volumeMiB) MiB", bytes: volumeMiB * mebibyte, setUp: settle) {
    let log = try PartitionLog(directory: logDirectory, topicPartition: partition)
    for _ in 0..<volumeMiB { try log.append(try RecordBatch(validating: batch.bytes)) }
}

// MARK: Sequential read, page cache (the log written by the last run)
let reader = try PartitionLog(directory: logDirectory, topicPartition: partition)
let logBytes = Int(reader.sizeInBytes)
let read = try throughput("commit log sequential read, 1 MiB per read, \(logBytes >> 20) MiB", bytes: logBytes) {
    var offset: Int64 = 0
    while offset < reader.logEndOffset {
        let result = try reader.read(from: offset, maxBytes: mebibyte)
        let last = try RecordBatchHeader(parsing: result.bytes.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[(result.bytes.count - batch.bytes.count)...]) })
        offset = last.nextOffset
    }
}

// MARK: Append with an fsync per 4 MiB
let syncVolumeMiB = 256
let ddSync = try throughput("dd bs=4M oflag=dsync, \(syncVolumeMiB) MiB", bytes: syncVolumeMiB * mebibyte, setUp: settle) {
    shell("dd if=/dev/zero of=\(ddFile) bs=4M count=\(syncVolumeMiB / 4) oflag=dsync")
}
removeAll(ddFile)
let appendSync = try throughput("commit log append + flush every 4 MiB, \(syncVolumeMiB) MiB", bytes: syncVolumeMiB * mebibyte, setUp: settle) {
    let log = try PartitionLog(directory: logDirectory, topicPartition: partition)
    for index in 0..<syncVolumeMiB {
        try log.append(batch)
        if index % 4 == 3 { try log.flush() }
    }
}

// MARK: Recovery: 2 GiB of sealed segments and a torn active segment
let recoveryDirectory = workDirectory + "/recovery-0"
removeAll(recoveryDirectory)
do {
    let log = try PartitionLog(directory: recoveryDirectory, topicPartition: partition, config: LogConfig(segmentBytes: 512 * mebibyte))
    while log.segmentCount < 5 { try log.append(batch) }
    try log.flush()
    for _ in 0..<64 { try log.append(batch) }  // 64 MiB in the active segment, not flushed
}
var recoverySeconds: [Double] = []
var recoveredSealedBytes: Int64 = 0
for _ in 0..<runs {
    // Tear the active segment's last batch half-way, then open as after a crash.
    let active = try FileManager.default.contentsOfDirectory(atPath: recoveryDirectory).filter { $0.hasSuffix(".log") }.sorted().last!
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: recoveryDirectory + "/" + active))
    let size = try handle.seekToEnd()
    try handle.truncate(atOffset: size - UInt64(batch.bytes.count / 2))
    try handle.close()
    let start = now()
    let log = try PartitionLog(directory: recoveryDirectory, topicPartition: partition, config: LogConfig(segmentBytes: 512 * mebibyte))
    recoverySeconds.append(now() - start)
    precondition(log.recoveryReport.count == 1, "expected one truncation, got \(log.recoveryReport)")
    recoveredSealedBytes = log.sizeInBytes
    try log.append(batch)  // make the next tear cut a fresh batch
}
print(String(format: "%-58@ %10.3f s     (runs: %@)", "recovery: \(recoveredSealedBytes >> 20) MiB log, torn active segment" as NSString,
             median(recoverySeconds), recoverySeconds.map { String(format: "%.3f", $0) }.joined(separator: " ") as NSString))

removeAll(logDirectory)
removeAll(recoveryDirectory)
print("")
print(String(format: "append / dd page cache: %.0f%%;  append+flush / dd dsync: %.0f%%;  read: %.0f MB/s",
             append / ddPageCache * 100, appendSync / ddSync * 100, read))
if sink == 42 { print("") }
