import Broker
import CommitLog
import KafkaWire

/// Reads a topic's records between two event times from the local commit log, as a Kafka
/// consumer would with offsets-for-times: in each partition from the first offset whose
/// timestamp is at or after `from`, up to the first offset whose timestamp is after
/// `to + lateness` (or the log end), handing over only the records whose timestamp lies in
/// `[from, to]`. Records produced late (an agent that was offline ships its backlog) are
/// found as long as they arrived within `lateness` of `to`.
///
/// Not thread-safe; one reader per replay. The logs it reads may grow meanwhile: the end
/// offsets are fixed when reading starts.
public struct TopicTimeRangeReader {
    public struct Progress: Sendable {
        public var bytesRead: Int64
        public var bytesTotal: Int64
        public var records: Int
    }

    public let topic: String
    public let from: Int64
    public let to: Int64
    private var ranges: [(log: PartitionLog, start: Int64, end: Int64)] = []
    public private(set) var progress = Progress(bytesRead: 0, bytesTotal: 0, records: 0)
    private static let readBytes = 1 << 20

    /// Times in milliseconds since the epoch. Throws when the topic does not exist.
    public init(topics: TopicStore, topic: String, from: Int64, to: Int64, latenessMilliseconds: Int64 = 60_000) throws {
        guard let count = topics.partitionCount(topic) else { throw TopicTimeRangeError.unknownTopic(topic) }
        self.topic = topic
        self.from = from
        self.to = to
        for partition in 0..<count {
            guard let handle = topics.partition(TopicPartition(topic: topic, partition: partition)) else { continue }
            let log = handle.log
            let (endTime, overflow) = to.addingReportingOverflow(latenessMilliseconds + 1)
            guard let start = try log.offset(forTimestamp: from)?.offset else { continue }
            let end = overflow ? log.logEndOffset : try log.offset(forTimestamp: endTime)?.offset ?? log.logEndOffset
            guard start < end else { continue }
            ranges.append((log, start, end))
        }
        // Bytes are estimated from offsets: exact sizes would need every batch header.
        let totalRecords = ranges.reduce(Int64(0)) { $0 + $1.end - $1.start }
        let totalBytes = ranges.reduce(Int64(0)) { $0 + $1.log.sizeInBytes }
        let allRecords = ranges.reduce(Int64(0)) { $0 + max(1, $1.log.logEndOffset - $1.log.logStartOffset) }
        progress.bytesTotal = allRecords == 0 ? 0 : totalBytes * totalRecords / allRecords
    }

    /// The next run of records in range from one partition (partitions one after another,
    /// each in offset order), or nil at the end. Undecodable batches are skipped and counted
    /// in `unreadableBatches`.
    public private(set) var unreadableBatches = 0

    public mutating func next() throws -> [Record]? {
        try nextRun()?.records
    }

    /// `next()` with the partition the records come from (replay keeps per-partition state,
    /// as the live processor does).
    public mutating func nextRun() throws -> (partition: TopicPartition, records: [Record])? {
        while let range = ranges.first {
            guard range.start < range.end else {
                ranges.removeFirst()
                continue
            }
            let read: LogReadResult
            do {
                read = try range.log.read(from: range.start, maxBytes: Self.readBytes)
            } catch LogError.offsetOutOfRange(_, let logStart, _) where range.start < logStart {
                ranges[0].start = logStart  // retention removed the oldest records meanwhile
                continue
            }
            guard !read.bytes.isEmpty else {
                ranges.removeFirst()
                continue
            }
            progress.bytesRead += Int64(read.bytes.count)
            var records: [Record]
            do {
                records = try read.bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
            } catch {
                unreadableBatches += 1
                records = []
            }
            let last = records.last?.offset ?? range.start
            ranges[0].start = max(last + 1, range.start + 1)
            records.removeAll { $0.offset < range.start || $0.offset >= range.end || $0.timestamp < from || $0.timestamp > to }
            progress.records += records.count
            if !records.isEmpty { return (range.log.topicPartition, records) }
        }
        return nil
    }
}

public enum TopicTimeRangeError: Error, CustomStringConvertible {
    case unknownTopic(String)

    public var description: String {
        switch self {
        case .unknownTopic(let topic): "no topic named '\(topic)'"
        }
    }
}
