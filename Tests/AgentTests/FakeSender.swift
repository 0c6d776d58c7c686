import Agent
import Foundation
import Synchronization

/// An in-memory broker for the delivery tests: keeps what it acknowledged, and can
/// refuse records or hold them (a broker that is down) until released.
final class FakeSender: RecordSender {
    private struct State {
        var delivered: [OutgoingRecord] = []
        var refuseNext = 0
        var rejectLargerThan = Int.max
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())

    func send(_ records: [OutgoingRecord]) async -> [SendOutcome] {
        let hold = state.withLock { $0.holding }
        if hold {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.holding {
                        state.held.append(continuation)
                        return false
                    }
                    return true
                }
                if resumeNow { continuation.resume() }
            }
        }
        return state.withLock { state in
            records.map { record in
                if record.value.count > state.rejectLargerThan {
                    return .permanent("MESSAGE_TOO_LARGE from the fake broker")
                }
                if state.refuseNext > 0 {
                    state.refuseNext -= 1
                    return .retriable("refused by the fake broker")
                }
                state.delivered.append(record)
                return .acknowledged
            }
        }
    }

    func close() { state.withLock { $0.closed = true } }

    var delivered: [OutgoingRecord] { state.withLock { $0.delivered } }
    var messages: [String] {
        delivered.map { record in
            let object = try! JSONSerialization.jsonObject(with: Data(record.value)) as! [String: Any]
            return object["message"] as! String
        }
    }

    func refuse(next count: Int) { state.withLock { $0.refuseNext = count } }

    /// Records larger than this are refused for good, like a broker's MESSAGE_TOO_LARGE.
    func rejectLarger(than bytes: Int) { state.withLock { $0.rejectLargerThan = bytes } }

    /// Holds every send until `release()`: the broker is unreachable.
    func hold() { state.withLock { $0.holding = true } }

    func release() {
        let waiters = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        waiters.forEach { $0.resume() }
    }

    var heldSends: Int { state.withLock { $0.held.count } }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func eventually(_ seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return condition()
}
