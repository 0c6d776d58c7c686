import Synchronization
import SluiceModel
import TestSupport
@testable import LogStore

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let nanoseconds: Atomic<Int64>
    init(_ start: Int64 = 0) { nanoseconds = Atomic(start) }
    func set(_ value: Int64) { nanoseconds.store(value, ordering: .relaxed) }
    func advance(_ delta: Int64) { nanoseconds.add(delta, ordering: .relaxed) }
    var now: Timestamp { Timestamp(nanosecondsSinceEpoch: nanoseconds.load(ordering: .relaxed)) }
    var function: @Sendable () -> Timestamp { { [self] in now } }
}

func entry(_ time: Int64, _ stream: Labels, _ line: String, metadata: Labels = Labels(),
           topic: String = "logs", partition: Int32 = 0, offset: Int64) -> LogEntry {
    LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: time), stream: stream, line: Array(line.utf8),
             metadata: metadata, origin: RecordOrigin(topic: topic, partition: partition, offset: offset))
}

func collect(_ source: some LogEntrySource, _ scan: LogScan) throws -> [ScannedEntry] {
    var result: [ScannedEntry] = []
    try source.scan(scan) { result.append($0); return true }
    return result
}

func everything(_ direction: LogScan.Direction = .forward) -> LogScan {
    LogScan(matchers: [], start: Timestamp(nanosecondsSinceEpoch: .min), end: Timestamp(nanosecondsSinceEpoch: .max),
            direction: direction)
}

extension LogStoreConfiguration {
    /// Small blocks, so that tests with few entries still make many blocks.
    static func testing(_ directory: String, blockTargetBytes: Int = 512) -> LogStoreConfiguration {
        LogStoreConfiguration(directory: directory, blockTargetBytes: blockTargetBytes, retentionNanoseconds: nil)
    }
}

/// Random log-ish content from a seeded generator.
struct EntryGenerator {
    var random: SplitMix64
    static let words = ["GET", "POST", "user", "login", "failed", "ok", "timeout", "db", "cache_miss", "ERROR",
                        "warn", "id", "path", "/api/v1/items", "status=200", "status=500", "héllo", "日本"]

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }

    mutating func line() -> [UInt8] {
        if chance(5) { return (0..<int(0..<40)).map { _ in UInt8.random(in: 0...255, using: &random) } }
        var text = ""
        for index in 0..<int(1..<12) {
            if index > 0 { text += [" ", " ", ", ", ":", "\t"][int(0..<5)] }
            text += chance(30) ? String(int(0..<100_000)) : Self.words[int(0..<Self.words.count)]
        }
        return Array(text.utf8)
    }

    mutating func metadata() -> Labels {
        var labels = Labels()
        if chance(60) { labels["level"] = ["info", "warn", "error"][int(0..<3)] }
        if chance(30) { labels["trace"] = "t\(int(0..<1000))" }
        if chance(10) { labels["user"] = Self.words[int(0..<Self.words.count)] }
        return labels
    }
}
