import CommitLog

/// One consumer group as the status page shows it: its membership now and the offsets it
/// committed (a group with commits and no members is `empty`, as Kafka lists it).
public struct ConsumerGroupSummary: Sendable, Equatable {
    public var groupId: String
    /// Kafka's names: Empty, PreparingRebalance, CompletingRebalance, Stable.
    public var state: String
    public var members: Int
    public var committed: [(partition: TopicPartition, offset: Int64)]

    public init(groupId: String, state: String, members: Int, committed: [(partition: TopicPartition, offset: Int64)]) {
        self.groupId = groupId
        self.state = state
        self.members = members
        self.committed = committed
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.groupId == rhs.groupId && lhs.state == rhs.state && lhs.members == rhs.members
            && lhs.committed.map(\.partition) == rhs.committed.map(\.partition) && lhs.committed.map(\.offset) == rhs.committed.map(\.offset)
    }
}

extension GroupStateMachine.State {
    var kafkaName: String {
        switch self {
        case .empty: "Empty"
        case .preparingRebalance: "PreparingRebalance"
        case .completingRebalance: "CompletingRebalance"
        case .stable: "Stable"
        }
    }
}

extension OffsetStore {
    /// Every committed offset, by group.
    func allCommitted() -> [String: [(partition: TopicPartition, offset: Int64)]] {
        committedSnapshot().reduce(into: [:]) { byGroup, entry in
            byGroup[entry.key.group, default: []].append((TopicPartition(topic: entry.key.topic, partition: entry.key.partition), entry.value.offset))
        }
    }
}

extension GroupCoordinator {
    /// Live groups and groups known only by their commits, sorted by id; each group's
    /// commits sorted by topic and partition.
    func summaries() -> [ConsumerGroupSummary] {
        let live = withGroups { groups in groups.mapValues { ($0.state.kafkaName, $0.members.count) } }
        let committed = offsets.allCommitted()
        return Set(live.keys).union(committed.keys).sorted().map { id in
            let commits = (committed[id] ?? []).sorted {
                ($0.partition.topic, $0.partition.partition) < ($1.partition.topic, $1.partition.partition)
            }
            return ConsumerGroupSummary(groupId: id, state: live[id]?.0 ?? "Empty", members: live[id]?.1 ?? 0, committed: commits)
        }
    }
}

extension KafkaServer {
    /// The consumer groups of Kafka clients (the appliance's own processors keep their
    /// offsets elsewhere and are not among them).
    public func consumerGroups() -> [ConsumerGroupSummary] { groups.summaries() }
}
