import Synchronization

/// All partition logs under one data directory, one folder per partition
/// (`<data dir>/<topic>-<partition>/`, see `LogFileNames`).
///
/// Thread-safe: the partition map is behind a lock; each `PartitionLog` has its own.
public final class LogDirectory: Sendable {
    public let path: String
    public let config: LogConfig
    private let clock: LogClock
    private let partitions: Mutex<[TopicPartition: PartitionLog]>

    /// Opens every partition folder found under `path` (recovering each if needed),
    /// creating `path` when it does not exist. Other entries are left alone.
    public init(path: String, config: LogConfig = LogConfig(), clock: LogClock = .system) throws {
        try FileSystem.createDirectory(path)
        var found: [TopicPartition: PartitionLog] = [:]
        for name in try FileSystem.contents(of: path) where FileSystem.isDirectory(path + "/" + name) {
            guard let topicPartition = LogFileNames.topicPartition(fromDirectory: name) else { continue }
            found[topicPartition] = try PartitionLog(
                directory: path + "/" + name, topicPartition: topicPartition, config: config, clock: clock)
        }
        self.path = path
        self.config = config
        self.clock = clock
        self.partitions = Mutex(found)
    }

    /// The partition's log, if it exists.
    public func partition(_ topicPartition: TopicPartition) -> PartitionLog? {
        partitions.withLock { $0[topicPartition] }
    }

    /// The partition's log, created empty if it does not exist yet.
    public func createPartition(_ topicPartition: TopicPartition) throws -> PartitionLog {
        guard TopicPartition.isValidTopicName(topicPartition.topic), topicPartition.partition >= 0 else {
            throw LogError.batchRejected("invalid topic partition \(topicPartition)")
        }
        return try partitions.withLock { (logs) throws -> PartitionLog in
            if let existing = logs[topicPartition] { return existing }
            let log = try PartitionLog(
                directory: path + "/" + LogFileNames.partitionDirectory(topicPartition),
                topicPartition: topicPartition, config: config, clock: clock)
            try FileSystem.syncDirectory(path)
            logs[topicPartition] = log
            return log
        }
    }

    /// Every partition, sorted by topic then number.
    public var topicPartitions: [TopicPartition] { partitions.withLock { $0.keys.sorted() } }

    /// Applies retention to every partition; returns the number of segments deleted.
    @discardableResult
    public func enforceRetention() throws -> Int {
        var deleted = 0
        for log in partitions.withLock({ Array($0.values) }) { deleted += try log.enforceRetention() }
        return deleted
    }

    /// Closes every partition cleanly (flush, indexes, clean-shutdown marker).
    public func close() throws {
        for log in partitions.withLock({ Array($0.values) }) { try log.close() }
    }
}
