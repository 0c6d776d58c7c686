import Synchronization

/// Senders that found librdkafka's queue full wait here until the poll thread has served
/// delivery reports (which is what frees room). The generation closes the race between
/// "queue full" and starting to wait: a sender waits only if no poll finished in between.
final class QueueSpace: Sendable {
    private let state = Mutex<(generation: UInt64, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    var generation: UInt64 { state.withLock { $0.generation } }

    /// Returns once a poll has finished after `generation` was read.
    func wait(after generation: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                guard state.generation == generation else { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Called after each poll (and on close): wakes every waiting sender.
    func advance() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
