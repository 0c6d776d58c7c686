import CommitLog
import KafkaWire
import Synchronization

/// Committed consumer-group offsets, kept in memory and written through to a commit log of
/// their own (`<data dir>/__group-offsets/`, a folder name the topic scan ignores), which
/// is replayed on start. A commit is acknowledged after it is fsynced.
///
/// Record layout: key = group, NUL, topic, NUL, partition (decimal); value = offset
/// (int64 BE), then the metadata as an int16-length string (−1: null).
///
/// Thread-safe.
final class OffsetStore: Sendable {
    struct Key: Hashable {
        var group: String
        var topic: String
        var partition: Int32
    }

    struct Committed: Equatable {
        var offset: Int64
        var metadata: String?
    }

    static let directoryName = "__group-offsets"

    let log: PartitionLog
    private let offsets: Mutex<[Key: Committed]>

    init(dataDirectory: String, config: LogConfig) throws {
        log = try PartitionLog(directory: dataDirectory + "/" + Self.directoryName,
                               topicPartition: TopicPartition(topic: "__group-offsets", partition: 0), config: config)
        var loaded: [Key: Committed] = [:]
        var next = log.logStartOffset
        while next < log.logEndOffset {
            let read = try log.read(from: next, maxBytes: 1 << 20)
            let records = try read.bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
            for record in records {
                if let (key, value) = Self.decode(record) { loaded[key] = value }
            }
            guard let last = records.last else { break }
            next = last.offset + 1
        }
        offsets = Mutex(loaded)
    }

    func committed(_ key: Key) -> Committed? { offsets.withLock { $0[key] } }

    func committedSnapshot() -> [Key: Committed] { offsets.withLock { $0 } }

    /// Every partition `group` has committed, by topic.
    func committed(group: String) -> [String: [(Int32, Committed)]] {
        offsets.withLock { offsets in
            var byTopic: [String: [(Int32, Committed)]] = [:]
            for (key, value) in offsets where key.group == group {
                byTopic[key.topic, default: []].append((key.partition, value))
            }
            return byTopic.mapValues { $0.sorted { $0.0 < $1.0 } }
        }
    }

    /// Appends the commits as one batch; the caller waits for durability before answering.
    func store(_ commits: [(Key, Committed)], now: Int64) throws {
        guard !commits.isEmpty else { return }
        let records = commits.map { key, value in
            var encoded: [UInt8] = []
            encoded.appendInt64(value.offset)
            encoded.appendString(value.metadata)
            return Record(timestamp: now, key: Array("\(key.group)\0\(key.topic)\0\(key.partition)".utf8), value: encoded)
        }
        try log.append(try RecordBatchBuilder().build(records))
        offsets.withLock { offsets in
            for (key, value) in commits { offsets[key] = value }
        }
    }

    private static func decode(_ record: Record) -> (Key, Committed)? {
        guard let keyBytes = record.key, let value = record.value else { return nil }
        let parts = keyBytes.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, let partition = Int32(String(decoding: parts[2], as: UTF8.self)) else { return nil }
        return value.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            guard let offset = try? reader.readInt64(), let metadata = try? reader.readNullableString() else { return nil }
            return (Key(group: String(decoding: parts[0], as: UTF8.self), topic: String(decoding: parts[1], as: UTF8.self), partition: partition),
                    Committed(offset: offset, metadata: metadata))
        }
    }
}
