import CommitLog
import KafkaWire
import Synchronization

/// The broker's topics: their partitions' logs, and per partition the producer state that
/// idempotent producing checks. Topics are the partition folders of the log directory;
/// a topic's partition count is how many folders it has.
///
/// Thread-safe. Creation is serialized; lookups take a short lock.
public final class TopicStore: Sendable {
    public let logs: LogDirectory
    private let partitions: Mutex<[TopicPartition: PartitionHandle]>
    private let topicCounts: Mutex<[String: Int32]>

    public init(logs: LogDirectory) {
        self.logs = logs
        var handles: [TopicPartition: PartitionHandle] = [:]
        var counts: [String: Int32] = [:]
        for topicPartition in logs.topicPartitions {
            handles[topicPartition] = PartitionHandle(log: logs.partition(topicPartition)!)
            counts[topicPartition.topic, default: 0] += 1
        }
        self.partitions = Mutex(handles)
        self.topicCounts = Mutex(counts)
    }

    /// Topic names and their partition counts, sorted by name.
    public var topics: [(name: String, partitions: Int32)] {
        topicCounts.withLock { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    public func partitionCount(_ topic: String) -> Int32? { topicCounts.withLock { $0[topic] } }

    public func partition(_ topicPartition: TopicPartition) -> PartitionHandle? {
        partitions.withLock { $0[topicPartition] }
    }

    public enum CreateOutcome: Equatable, Sendable {
        case created, alreadyExists, invalidName, invalidPartitions
    }

    /// Creates `topic` with `count` partitions (folders are created and synced now).
    @discardableResult
    public func createTopic(_ topic: String, partitions count: Int32, validateOnly: Bool = false) throws -> CreateOutcome {
        guard TopicPartition.isValidTopicName(topic) else { return .invalidName }
        guard count > 0, count <= 10_000 else { return .invalidPartitions }
        return try topicCounts.withLock { (counts) throws -> CreateOutcome in
            if counts[topic] != nil { return .alreadyExists }
            if validateOnly { return .created }
            var created: [TopicPartition: PartitionHandle] = [:]
            for index in 0..<count {
                let topicPartition = TopicPartition(topic: topic, partition: index)
                created[topicPartition] = PartitionHandle(log: try logs.createPartition(topicPartition))
            }
            partitions.withLock { $0.merge(created) { old, _ in old } }
            counts[topic] = count
            return .created
        }
    }
}

/// One partition's log and the sequence state of the idempotent producers writing to it.
public final class PartitionHandle: Sendable {
    public let log: PartitionLog
    /// Held across the sequence check and the append so that both are one step.
    let producers = Mutex(ProducerSequences())

    init(log: PartitionLog) { self.log = log }
}
