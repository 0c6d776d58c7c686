import Broker
import CommitLog
import Hummingbird
import KafkaWire
import NIOPosix
import PromQL
import SluiceModel

/// How far one of the appliance's own consumers (the log pipelines, metric ingestion) is
/// behind in each partition it reads.
public struct InternalConsumerLag: Sendable {
    public var name: String
    public var lag: [(partition: TopicPartition, records: Int64)]

    public init(name: String, lag: [(partition: TopicPartition, records: Int64)]) {
        self.name = name
        self.lag = lag
    }
}

/// What the status page and the alert history read besides the query APIs.
public struct StatusDependencies: Sendable {
    public var topics: TopicStore
    public var consumerGroups: @Sendable () -> [ConsumerGroupSummary]
    public var internalConsumers: @Sendable () -> [InternalConsumerLag]
    /// Each host's newest metric batch (event time, ms): the agents and when they were last seen.
    public var agentsLastSeen: @Sendable () -> [String: Int64]

    public init(topics: TopicStore, consumerGroups: @escaping @Sendable () -> [ConsumerGroupSummary],
                internalConsumers: @escaping @Sendable () -> [InternalConsumerLag],
                agentsLastSeen: @escaping @Sendable () -> [String: Int64]) {
        self.topics = topics
        self.consumerGroups = consumerGroups
        self.internalConsumers = internalConsumers
        self.agentsLastSeen = agentsLastSeen
    }
}

/// `GET /api/sluice/v1/status` (topics, consumers and their lag, agents) and
/// `GET /api/sluice/v1/alerts/history` (the newest records of the `alerts` topic).
struct StatusAPI: Sendable {
    let status: StatusDependencies
    let promql: PromQLEngine?
    let now: @Sendable () -> Timestamp

    static let alertsTopic = "alerts"
    static let defaultHistoryLimit = 200
    static let maxHistoryLimit = 5000

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/sluice/v1/status") { _, _ in
            let body = try await NIOThreadPool.singleton.runIfActive { statusJSON() }
            return LogsAPI.json(body)
        }
        router.get("/api/sluice/v1/alerts/history") { request, _ in
            let parameters = QueryParameters(request: request)
            var limit = Self.defaultHistoryLimit
            if let text = parameters["limit"] {
                guard let value = Int(text), (1...Self.maxHistoryLimit).contains(value) else {
                    throw APIError.badData("invalid parameter \"limit\": '\(text)' (a whole number from 1 to \(Self.maxHistoryLimit))")
                }
                limit = value
            }
            let chosen = limit
            let body = try await NIOThreadPool.singleton.runIfActive { try historyJSON(limit: chosen) }
            return LogsAPI.json(body)
        }
    }

    // MARK: Status

    func statusJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        let nowMilliseconds = now().millisecondsSinceEpoch
        writer.raw("{\"status\":\"success\",\"data\":{\"now\":")
        Self.time(nowMilliseconds, to: &writer)
        writer.raw(",\"topics\":[")
        let topics = status.topics.topics.sorted { $0.name < $1.name }
        for (topicIndex, topic) in topics.enumerated() {
            if topicIndex > 0 { writer.raw(",") }
            writer.raw("{\"name\":")
            writer.string(topic.name)
            writer.raw(",\"partitions\":[")
            for partition in 0..<topic.partitions {
                if partition > 0 { writer.raw(",") }
                let log = status.topics.partition(TopicPartition(topic: topic.name, partition: partition))?.log
                writer.raw("{\"partition\":")
                writer.int(Int64(partition))
                writer.raw(",\"log_start_offset\":")
                writer.int(log?.logStartOffset ?? 0)
                writer.raw(",\"log_end_offset\":")
                writer.int(log?.logEndOffset ?? 0)
                writer.raw(",\"size_bytes\":")
                writer.int(log?.sizeInBytes ?? 0)
                writer.raw(",\"segments\":")
                writer.int(Int64(log?.segmentCount ?? 0))
                writer.raw("}")
            }
            writer.raw("]}")
        }
        writer.raw("],\"consumers\":[")
        var first = true
        for consumer in status.internalConsumers() {
            if !first { writer.raw(",") }
            first = false
            writer.raw("{\"group\":")
            writer.string(consumer.name)
            writer.raw(",\"kind\":\"internal\",\"state\":\"running\",\"members\":1,\"partitions\":[")
            for (index, entry) in consumer.lag.enumerated() {
                if index > 0 { writer.raw(",") }
                let end = status.topics.partition(entry.partition)?.log.logEndOffset ?? 0
                partitionJSON(entry.partition, committed: end - entry.records, end: end, to: &writer)
            }
            writer.raw("]}")
        }
        for group in status.consumerGroups() {
            if !first { writer.raw(",") }
            first = false
            writer.raw("{\"group\":")
            writer.string(group.groupId)
            writer.raw(",\"kind\":\"kafka\",\"state\":")
            writer.string(group.state)
            writer.raw(",\"members\":")
            writer.int(Int64(group.members))
            writer.raw(",\"partitions\":[")
            for (index, commit) in group.committed.enumerated() {
                if index > 0 { writer.raw(",") }
                let end = status.topics.partition(commit.partition)?.log.logEndOffset ?? commit.offset
                partitionJSON(commit.partition, committed: commit.offset, end: end, to: &writer)
            }
            writer.raw("]}")
        }
        writer.raw("],\"agents\":[")
        let counters = agentCounters(at: nowMilliseconds)
        for (index, agent) in status.agentsLastSeen().sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"host\":")
            writer.string(agent.key)
            writer.raw(",\"last_seen\":")
            Self.time(agent.value, to: &writer)
            writer.raw(",\"events_sent\":")
            if let value = counters.eventsSent[agent.key] { writer.double(value) } else { writer.raw("null") }
            writer.raw(",\"data_gaps\":")
            if let value = counters.dataGaps[agent.key] { writer.double(value) } else { writer.raw("null") }
            writer.raw("}")
        }
        writer.raw("]}}")
        return writer.bytes
    }

    private func partitionJSON(_ partition: TopicPartition, committed: Int64, end: Int64, to writer: inout JSONWriter) {
        writer.raw("{\"topic\":")
        writer.string(partition.topic)
        writer.raw(",\"partition\":")
        writer.int(Int64(partition.partition))
        writer.raw(",\"committed\":")
        writer.int(committed)
        writer.raw(",\"log_end_offset\":")
        writer.int(end)
        writer.raw(",\"lag\":")
        writer.int(max(0, end - committed))
        writer.raw("}")
    }

    /// The agents' own counters as they last reported them (within the lookback), by host.
    private func agentCounters(at time: Int64) -> (eventsSent: [String: Double], dataGaps: [String: Double]) {
        func byHost(_ query: String) -> [String: Double] {
            guard let promql, case .vector(let samples)? = try? promql.instantQuery(query, at: time) else { return [:] }
            var result: [String: Double] = [:]
            for sample in samples { if let host = sample.labels["host"] { result[host] = sample.value } }
            return result
        }
        return (byHost("sum by (host) (sluice_agent_events_sent_total)"), byHost("sum by (host) (sluice_agent_data_gaps_total)"))
    }

    static func time(_ milliseconds: Int64, to writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "\""))
        Timestamp(nanosecondsSinceEpoch: milliseconds &* 1_000_000).appendRFC3339(to: &writer.bytes)
        writer.raw(UInt8(ascii: "\""))
    }

    // MARK: Alert history

    /// The newest `limit` records of the `alerts` topic, newest first, each the record's own
    /// JSON object with its `partition`, `offset` and `type` (`transition` unless it says).
    func historyJSON(limit: Int) throws -> [UInt8] {
        var entries: [(timestamp: Int64, partition: Int32, offset: Int64, value: [UInt8])] = []
        for partition in 0..<(status.topics.partitionCount(Self.alertsTopic) ?? 0) {
            guard let log = status.topics.partition(TopicPartition(topic: Self.alertsTopic, partition: partition))?.log else { continue }
            var next = max(log.logStartOffset, log.logEndOffset - Int64(limit))
            let end = log.logEndOffset
            while next < end {
                let read: LogReadResult
                do { read = try log.read(from: next, maxBytes: 1 << 20) } catch LogError.offsetOutOfRange(_, let start, _) where next < start {
                    next = start
                    continue
                }
                guard !read.bytes.isEmpty else { break }
                let records = try read.bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
                guard let last = records.last else { break }
                for record in records where record.offset >= next && record.offset < end {
                    entries.append((record.timestamp, partition, record.offset, record.value ?? []))
                }
                next = max(next + 1, last.offset + 1)
            }
        }
        entries.sort { ($0.timestamp, $0.partition, $0.offset) > ($1.timestamp, $1.partition, $1.offset) }
        var writer = JSONWriter(capacity: 256 * min(entries.count, limit) + 64)
        writer.raw("{\"status\":\"success\",\"data\":{\"entries\":[")
        for (index, entry) in entries.prefix(limit).enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"partition\":")
            writer.int(Int64(entry.partition))
            writer.raw(",\"offset\":")
            writer.int(entry.offset)
            guard let document = try? JSONValue.parse(entry.value), case .object(let members) = document else {
                // Something else was produced to the topic: shown, not hidden.
                writer.raw(",\"type\":\"unreadable\",\"timestamp\":")
                Self.time(entry.timestamp, to: &writer)
                writer.raw(",\"text\":")
                writer.string(String(decoding: entry.value.prefix(4096), as: UTF8.self))
                writer.raw("}")
                continue
            }
            if document["type"] == nil { writer.raw(",\"type\":\"transition\"") }
            if !members.isEmpty {
                // The record's members follow as they were written.
                writer.raw(",")
                let body = entry.value.drop { $0 != UInt8(ascii: "{") }.dropFirst()
                writer.rawBytes(Array(body))
            } else {
                writer.raw("}")
            }
        }
        writer.raw("]}}")
        return writer.bytes
    }
}
