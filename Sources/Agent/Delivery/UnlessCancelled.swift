import Synchronization

/// Runs `operation` in a task of its own and waits for it, but gives up (nil) as soon as
/// the waiting task is cancelled. For calls that cannot be cancelled themselves, such as
/// a send that librdkafka retries until the broker returns: shutdown must not wait for
/// the broker; the operation ends when the producer is closed.
func unlessCancelled<T: Sendable>(_ operation: @escaping @Sendable () async -> T) async -> T? {
    let outcome = FirstOutcome<T>()
    let work = Task {
        let value = await operation()
        outcome.finish(value)
    }
    _ = work
    return await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            outcome.wait(continuation)
        }
    } onCancel: {
        outcome.finish(nil)
    }
}

/// Delivers whichever comes first, the value or the cancellation, to one waiter.
private final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var result: T??
        var waiter: CheckedContinuation<T?, Never>?
    }

    private let state = Mutex(State())

    func finish(_ value: T?) {
        let waiter: CheckedContinuation<T?, Never>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = .some(value)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    func wait(_ continuation: CheckedContinuation<T?, Never>) {
        let ready: T?? = state.withLock { state in
            if let result = state.result { return .some(result) }
            state.waiter = continuation
            return nil
        }
        if let ready { continuation.resume(returning: ready) }
    }
}
