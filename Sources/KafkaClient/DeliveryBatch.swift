import CRdKafka
import Synchronization

/// Where a message's delivery report goes: librdkafka carries a pointer to one of these as
/// the message's opaque (`_private`), and the callback finds the batch and index through it.
struct DeliverySlot {
    let batch: Unmanaged<DeliveryBatch>
    let index: Int
}

/// The messages of one `KafkaProducer.send` call and their reports as they arrive. One
/// continuation for the whole batch: the sender holds one extra count until it waits, so a
/// batch whose reports all arrive before the sender waits completes at once.
///
/// Thread-safety: `slots` is written in `init` only and read by the delivery callback; the
/// reports are under the mutex. The sender keeps the batch alive until every report arrived,
/// so the callback's unretained reference is always valid.
final class DeliveryBatch: @unchecked Sendable {
    let messages: [KafkaOutgoingMessage]
    let slots: UnsafeMutablePointer<DeliverySlot>
    /// The producer's count of messages awaiting a report from librdkafka.
    let inFlight: InFlightCount
    /// False with acks=0, where librdkafka's report offsets mean nothing.
    let offsetsKnown: Bool
    private let state: Mutex<State>

    private struct State {
        var reports: [KafkaDeliveryReport?]
        /// Reports still due, plus one while the sender has not started waiting.
        var remaining: Int
        var continuation: CheckedContinuation<Void, Never>?
    }

    init(messages: [KafkaOutgoingMessage], inFlight: InFlightCount, offsetsKnown: Bool) {
        self.messages = messages
        self.inFlight = inFlight
        self.offsetsKnown = offsetsKnown
        self.slots = .allocate(capacity: messages.count)
        self.state = Mutex(State(reports: Array(repeating: nil, count: messages.count), remaining: messages.count + 1))
        let unmanaged = Unmanaged.passUnretained(self)
        for index in messages.indices {
            (slots + index).initialize(to: DeliverySlot(batch: unmanaged, index: index))
        }
    }

    deinit {
        slots.deinitialize(count: messages.count)
        slots.deallocate()
    }

    var count: Int { messages.count }

    /// Records the report of message `index` (the first report for an index wins).
    func deliver(_ index: Int, partition: Int32, offset: Int64, error: KafkaClientError?) {
        let report = KafkaDeliveryReport(topic: messages[index].topic, partition: partition, offset: offset, error: error)
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.reports[index] == nil else { return nil }
            state.reports[index] = report
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    /// Gives every message from `start` on without a report `error` (messages never handed to
    /// librdkafka, or whose reports librdkafka dropped when the handle was destroyed).
    func failUnreported(from start: Int, with error: KafkaClientError) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            for index in start..<state.reports.count where state.reports[index] == nil {
                state.reports[index] = KafkaDeliveryReport(topic: messages[index].topic, partition: messages[index].partition ?? -1, offset: -1, error: error)
                state.remaining -= 1
            }
            guard state.remaining == 0 else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    /// Whether every message has its report.
    var isComplete: Bool {
        state.withLock { $0.remaining <= 1 }
    }

    /// Waits for every report; call once, after the last message was handed over.
    func reports() async -> [KafkaDeliveryReport] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                state.remaining -= 1
                if state.remaining == 0 { return true }
                state.continuation = continuation
                return false
            }
            if done { continuation.resume() }
        }
        return state.withLock { $0.reports.map { $0! } }
    }
}

/// librdkafka's `dr_msg_cb`: runs on whichever thread serves the handle's queue
/// (`rd_kafka_poll` on the producer's poll thread, `rd_kafka_flush`).
func kafkaDeliveryReportCallback(
    _ handle: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let message, let slotPointer = message.pointee._private else { return }
    let slot = slotPointer.assumingMemoryBound(to: DeliverySlot.self).pointee
    let batch = slot.batch.takeUnretainedValue()
    batch.inFlight.subtract(1)
    let error = message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaClientError(message.pointee.err)
    // With acks=0 librdkafka 2.0.2 reports RD_KAFKA_OFFSET_INVALID (-1001) plus the message's
    // index in its batch (-1001, -1000, …, 0, 1, … past 1001 messages): meaningless.
    let offset = batch.offsetsKnown && message.pointee.offset >= 0 ? message.pointee.offset : -1
    batch.deliver(slot.index, partition: message.pointee.partition, offset: offset, error: error)
}
