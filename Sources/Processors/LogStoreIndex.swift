import CommitLog
import LogStore
import SluiceModel

/// The log store as the processor's index (both key partitions by the commit log's
/// `TopicPartition`).
public struct LogStoreIndex: LogIndex {
    public let store: LogStore

    public init(store: LogStore) { self.store = store }

    public func append(_ entries: [LogEntry], through: [TopicPartition: Int64]) throws -> Int {
        try store.append(entries, through: through)
    }

    public func committedOffsets() -> [TopicPartition: Int64] { store.committedOffsets() }
    public func flushIfDue() throws -> Bool { try store.flushInBackgroundIfDue() }
    public func flush() throws { try store.flush() }
}
