import Broker
import CommitLog

/// Every partition's offsets and size, and the consumer groups' lag, in Prometheus text
/// format: ingest rates are `rate(sluice_topic_log_end_offset[5m])`.
public struct BrokerMetrics: MetricsExposition {
    public let status: StatusDependencies

    public init(status: StatusDependencies) { self.status = status }

    public func appendMetrics(to text: inout String) {
        var start = "", end = "", size = ""
        for topic in status.topics.topics.sorted(by: { $0.name < $1.name }) {
            for partition in 0..<topic.partitions {
                guard let log = status.topics.partition(TopicPartition(topic: topic.name, partition: partition))?.log else { continue }
                let labels = "{topic=\"\(Self.escaped(topic.name))\",partition=\"\(partition)\"}"
                start += "sluice_topic_log_start_offset\(labels) \(log.logStartOffset)\n"
                end += "sluice_topic_log_end_offset\(labels) \(log.logEndOffset)\n"
                size += "sluice_topic_size_bytes\(labels) \(log.sizeInBytes)\n"
            }
        }
        text += "# HELP sluice_topic_log_start_offset The oldest offset retention kept.\n# TYPE sluice_topic_log_start_offset gauge\n" + start
        text += "# HELP sluice_topic_log_end_offset The offset the next record gets (records appended so far).\n# TYPE sluice_topic_log_end_offset counter\n" + end
        text += "# HELP sluice_topic_size_bytes Bytes of the partition's segments on disk.\n# TYPE sluice_topic_size_bytes gauge\n" + size
        text += "# HELP sluice_consumer_group_lag_records Records between a Kafka consumer group's committed offset and the log end.\n"
        text += "# TYPE sluice_consumer_group_lag_records gauge\n"
        for group in status.consumerGroups() {
            for commit in group.committed {
                let logEnd = status.topics.partition(commit.partition)?.log.logEndOffset ?? commit.offset
                text += "sluice_consumer_group_lag_records{group=\"\(Self.escaped(group.groupId))\",topic=\"\(Self.escaped(commit.partition.topic))\",partition=\"\(commit.partition.partition)\"} \(max(0, logEnd - commit.offset))\n"
            }
        }
    }

    /// A label value in the text format: backslash, quote and newline escaped.
    static func escaped(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }
}
