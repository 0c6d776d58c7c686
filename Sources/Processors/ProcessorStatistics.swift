import Synchronization

/// The log processor's counters since start, for `/metrics`. Thread-safe (atomics).
public final class ProcessorStatistics: Sendable {
    /// Records read from the consumed topics.
    public let recordsConsumed = Atomic<Int>(0)
    /// Events a parse step could not parse (kept with `parse_error`).
    public let parseFailures = Atomic<Int>(0)
    /// Events that reached the end of their pipeline.
    public let eventsProcessed = Atomic<Int>(0)
    /// Entries the store accepted as new.
    public let entriesIndexed = Atomic<Int>(0)
    /// Entries the store had already (re-consumed after a restart or a replay).
    public let entriesDuplicate = Atomic<Int>(0)
    public let eventsDropped = Atomic<Int>(0)
    public let eventsRouted = Atomic<Int>(0)
    /// Records without a value, or batches that could not be decoded (logged each time).
    public let recordsUnreadable = Atomic<Int>(0)
    /// Records removed by commit-log retention before the processor read them.
    public let recordsMissed = Atomic<Int>(0)

    public init() {}
}
