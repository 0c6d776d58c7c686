import CommitLog
import LogStore
import SluiceModel

/// The log store as the processor's index.
public struct LogStoreIndex: LogIndex {
    public let store: LogStore

    public init(store: LogStore) { self.store = store }

    public func append(_ entries: [LogEntry], through: [TopicPartition: Int64]) throws -> Int {
        var converted: [LogStore.TopicPartition: Int64] = [:]
        for (partition, offset) in through {
            converted[LogStore.TopicPartition(topic: partition.topic, partition: partition.partition)] = offset
        }
        return try store.append(entries, through: converted)
    }

    public func committedOffsets() -> [TopicPartition: Int64] {
        var converted: [TopicPartition: Int64] = [:]
        for (partition, offset) in store.committedOffsets() {
            converted[TopicPartition(topic: partition.topic, partition: partition.partition)] = offset
        }
        return converted
    }

    public func flushIfDue() throws -> Bool { try store.flushIfDue() }
    public func flush() throws { try store.flush() }
}
