import Broker
import CommitLog
import KafkaWire
import SluiceModel

/// Appends records to the appliance's own topics without a network hop: used by `/push`,
/// by `route` steps and for metrics derived from logs. Creates a missing topic with the
/// broker's default partition count and picks the partition by key, as Kafka's default
/// partitioner does for keyed records (murmur2 is not needed: only this writer and the
/// broker's clients choose partitions, and a key's records stay together either way).
public struct LocalTopicWriter: Sendable {
    public let topics: TopicStore
    public let defaultPartitions: Int32

    public init(topics: TopicStore, defaultPartitions: Int32) {
        self.topics = topics
        self.defaultPartitions = defaultPartitions
    }

    /// One record to write: key, value, timestamp in ms.
    public typealias OutgoingRecord = (key: [UInt8]?, value: [UInt8], timestampMilliseconds: Int64)

    /// Appends `records` and, with `durable`, fsyncs before returning, as acks=all does.
    /// Returns the partitions written.
    @discardableResult
    public func append(topic: String, records: [OutgoingRecord],
                       durable: Bool) throws -> Set<TopicPartition> {
        guard !records.isEmpty else { return [] }
        guard TopicPartition.isValidTopicName(topic) else { throw LocalTopicWriterError("invalid topic name '\(topic)'") }
        if topics.partitionCount(topic) == nil {
            try topics.createTopic(topic, partitions: defaultPartitions)
        }
        let count = topics.partitionCount(topic) ?? 1
        var byPartition: [Int32: [Record]] = [:]
        for record in records {
            let partition = record.key.map { Int32(truncatingIfNeeded: Self.hash($0) % UInt32(count)) } ?? 0
            byPartition[partition, default: []].append(
                Record(timestamp: record.timestampMilliseconds, key: record.key, value: record.value))
        }
        var written = Set<TopicPartition>()
        for (partition, partitionRecords) in byPartition {
            let topicPartition = TopicPartition(topic: topic, partition: partition)
            guard let handle = topics.partition(topicPartition) else { throw LocalTopicWriterError("no partition \(topicPartition)") }
            // Batches stay under the broker's batch limit so that Kafka consumers can read them.
            var start = 0
            while start < partitionRecords.count {
                var end = start
                var bytes = 0
                while end < partitionRecords.count, end == start || bytes + partitionRecords[end].approximateSize < 900_000 {
                    bytes += partitionRecords[end].approximateSize
                    end += 1
                }
                let batch = try RecordBatchBuilder(compression: .zstd).build(Array(partitionRecords[start..<end]))
                _ = try handle.log.append(batch)
                start = end
            }
            if durable { _ = try handle.log.flush() }
            written.insert(topicPartition)
        }
        return written
    }

    /// FNV-1a: stable across runs and platforms (Swift's Hasher is seeded per process).
    static func hash(_ bytes: [UInt8]) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }
}

extension Record {
    fileprivate var approximateSize: Int { (key?.count ?? 0) + (value?.count ?? 0) + 24 }
}

public struct LocalTopicWriterError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
