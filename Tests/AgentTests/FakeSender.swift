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
        var held: [(records: [OutgoingRecord], answer: CheckedContinuation<[SendOutcome], Never>)] = []
        var closed = false

        /// What the broker answers to one send, in the order sends reach it (one
        /// connection: a later send is never acknowledged before an earlier one).
        mutating func answer(_ records: [OutgoingRecord]) -> [SendOutcome] {
            records.map { record in
                if record.value.count > rejectLargerThan {
                    return .permanent("MESSAGE_TOO_LARGE from the fake broker")
                }
                if refuseNext > 0 {
                    refuseNext -= 1
                    return .retriable("refused by the fake broker")
                }
                delivered.append(record)
                return .acknowledged
            }
        }
    }

    private let state = Mutex(State())

    func send(_ records: [OutgoingRecord]) async -> [SendOutcome] {
        await withCheckedContinuation { continuation in
            let answered: [SendOutcome]? = state.withLock { state in
                if state.holding {
                    state.held.append((records, continuation))
                    return nil
                }
                return state.answer(records)
            }
            if let answered { continuation.resume(returning: answered) }
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
        let answers = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held.map { ($0.answer, state.answer($0.records)) }
        }
        for (continuation, outcomes) in answers { continuation.resume(returning: outcomes) }
    }

    var heldSends: Int { state.withLock { $0.held.count } }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held. The budget
/// only runs out when something is wrong, so it is generous: the whole suite shares two
/// cores, and heavy tests elsewhere can keep the agent's tasks waiting for a while.
func eventually(_ seconds: Double = 120, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return condition()
}
