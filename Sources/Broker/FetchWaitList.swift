import CommitLog
import Synchronization

/// Fetches parked until data arrives (long polling). A produce calls `notify` for the
/// partitions it appended to, which wakes every fetch waiting on them once.
///
/// Thread-safe.
final class FetchWaitList: Sendable {
    private struct State {
        var nextId = 0
        var byPartition: [TopicPartition: [Int: @Sendable () -> Void]] = [:]
    }

    private let state = Mutex(State())

    /// Registers `wake` for `partitions`; returns a token for `remove`.
    func add(_ partitions: [TopicPartition], wake: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            let id = state.nextId
            state.nextId += 1
            for partition in partitions { state.byPartition[partition, default: [:]][id] = wake }
            return id
        }
    }

    func remove(_ id: Int, from partitions: [TopicPartition]) {
        state.withLock { state in
            for partition in partitions {
                state.byPartition[partition]?[id] = nil
                if state.byPartition[partition]?.isEmpty == true { state.byPartition[partition] = nil }
            }
        }
    }

    /// Wakes (once) every fetch waiting on `partition`.
    func notify(_ partition: TopicPartition) {
        let woken = state.withLock { state in state.byPartition.removeValue(forKey: partition) }
        woken?.values.forEach { $0() }
    }
}
