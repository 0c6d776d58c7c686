import Synchronization

/// A wake-up flag that one side raises (from any thread) and one task awaits with a
/// timeout. Raising it while nobody waits is remembered, so no wake-up is lost.
public final class AsyncSignal: Sendable {
    private struct State {
        var raised = false
        var waiter: CheckedContinuation<Bool, Never>?
        var generation: UInt64 = 0
        /// The timer of wait `generation` fired before that wait had parked.
        var expired = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Raises the flag, waking the waiting task if there is one.
    public func raise() {
        let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.raised = true
            return nil
        }
        waiter?.resume(returning: true)
    }

    /// Waits until the flag is raised (true) or the timeout passes (false); lowers it.
    /// One waiter at a time.
    public func wait(timeoutNanoseconds: UInt64) async -> Bool {
        let generation: UInt64? = state.withLock { state in
            if state.raised {
                state.raised = false
                return nil
            }
            state.generation &+= 1
            state.expired = false
            return state.generation
        }
        guard let generation else { return true }
        let timer = Task {
            try? await Task.sleep(nanoseconds: timeoutNanoseconds)
            let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
                guard state.generation == generation else { return nil }
                guard let waiter = state.waiter else {
                    state.expired = true
                    return nil
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let immediate: Bool? = state.withLock { state in
                if state.raised {
                    state.raised = false
                    return true
                }
                if state.expired { return false }
                state.waiter = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }
}
