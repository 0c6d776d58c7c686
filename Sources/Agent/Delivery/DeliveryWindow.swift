import Synchronization

/// Bounds what the agent has read but not yet covered by a saved checkpoint, in bytes and
/// in events. Sources `acquire` before sending and wait while the window is full; the
/// checkpoint writer `release`s once a checkpoint covering the records is on disk. So a
/// broker outage stops reading (files and the journal are the buffer), memory stays
/// bounded, and a SIGKILL duplicates at most one window.
public final class DeliveryWindow: Sendable {
    public let maxBytes: Int
    public let maxEvents: Int

    private struct Waiter {
        var id: UInt64
        var bytes: Int
        var events: Int
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var bytes = 0
        var events = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(maxBytes: Int, maxEvents: Int) {
        self.maxBytes = maxBytes
        self.maxEvents = maxEvents
    }

    /// Bytes and events now inside the window.
    public var used: (bytes: Int, events: Int) { state.withLock { ($0.bytes, $0.events) } }

    /// Waits until the window has room, then takes it; false (taking nothing) when the
    /// task is cancelled while waiting. A request larger than the whole window is let in
    /// alone (when the window is empty) so it cannot wait forever.
    public func acquire(bytes: Int, events: Int) async -> Bool {
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate: Bool? = state.withLock { state in
                    if Task.isCancelled { return false }
                    if state.waiters.isEmpty && Self.fits(bytes, events, state, maxBytes, maxEvents) {
                        state.bytes += bytes
                        state.events += events
                        return true
                    }
                    state.waiters.append(Waiter(id: id, bytes: bytes, events: events, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
        }
    }

    public func release(bytes: Int, events: Int) {
        guard bytes > 0 || events > 0 else { return }
        let ready: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.bytes -= bytes
            state.events -= events
            precondition(state.bytes >= 0 && state.events >= 0, "window released more than it held")
            var ready: [CheckedContinuation<Bool, Never>] = []
            while let first = state.waiters.first, Self.fits(first.bytes, first.events, state, maxBytes, maxEvents) {
                state.waiters.removeFirst()
                state.bytes += first.bytes
                state.events += first.events
                ready.append(first.continuation)
            }
            return ready
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    private static func fits(_ bytes: Int, _ events: Int, _ state: State, _ maxBytes: Int, _ maxEvents: Int) -> Bool {
        if state.bytes == 0 && state.events == 0 { return true }
        return state.bytes + bytes <= maxBytes && state.events + events <= maxEvents
    }
}
