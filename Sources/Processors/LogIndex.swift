import CommitLog
import SluiceModel

/// Where processed log entries go: the log store, or a fake in tests. The index owns the
/// committed offsets: what it reports durable is where consumption resumes after a
/// restart, and it skips anything at or below it (so re-consumed records count once).
public protocol LogIndex: Sendable {
    /// Adds entries (each partition's offsets ascending); `through` is, per partition, the
    /// last offset consumed, including records that produced no entry. Returns how many
    /// entries were new.
    @discardableResult
    func append(_ entries: [LogEntry], through: [TopicPartition: Int64]) throws -> Int
    /// Per partition, the last offset whose outcome is durable.
    func committedOffsets() -> [TopicPartition: Int64]
    /// Makes the in-memory part durable when it is big or old enough; may do so in the
    /// background (the log store does), in which case a failure is thrown by a later call.
    @discardableResult
    func flushIfDue() throws -> Bool
    /// Makes everything durable now (shutdown).
    func flush() throws
}
