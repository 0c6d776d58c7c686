import AgentInputs
import Logging
import SluiceModel
import Synchronization

/// Sends the sources' batches and moves their checkpoints when the broker acknowledges
/// them. At-least-once: a record the broker refuses is sent again after a backoff until
/// it is acknowledged (librdkafka itself retries forever while the broker is
/// unreachable), and a checkpoint only covers acknowledged records.
public final class Shipper: Sendable {
    public let sender: any RecordSender
    public let window: DeliveryWindow
    public let checkpoints: CheckpointStore
    public let counters: AgentCounters
    private let retryBackoffNanoseconds: UInt64
    private let logger: Logger
    private let inFlight = Mutex<Int>(0)
    private let drained = AsyncSignal()

    public init(sender: any RecordSender, window: DeliveryWindow, checkpoints: CheckpointStore,
                counters: AgentCounters, retryBackoffNanoseconds: UInt64, logger: Logger) {
        self.sender = sender
        self.window = window
        self.checkpoints = checkpoints
        self.counters = counters
        self.retryBackoffNanoseconds = retryBackoffNanoseconds
        self.logger = logger
    }

    /// Waits for window space, registers the batch and starts delivering it; returns as
    /// soon as it is on its way. `position` is where `key`'s checkpoint moves once this
    /// batch and all earlier ones of the stream are acknowledged. False when the task was
    /// cancelled while waiting (nothing was sent; the source stops).
    @discardableResult
    public func ship(_ records: [OutgoingRecord], key: CheckpointKey?, position: CheckpointValue?) async -> Bool {
        let bytes = records.reduce(0) { $0 + $1.value.count }
        guard await window.acquire(bytes: bytes, events: records.count) else { return false }
        let ticket = checkpoints.register(key, value: position, bytes: bytes, events: records.count)
        inFlight.withLock { $0 += 1 }
        Task {
            await deliver(records)
            counters.add(.eventsSent, records.count)
            counters.add(.bytesSent, bytes)
            checkpoints.acknowledge(ticket, bytes: bytes, events: records.count)
            let remaining = inFlight.withLock { count in
                count -= 1
                return count
            }
            if remaining == 0 { drained.raise() }
        }
        return true
    }

    /// Sends until every record is acknowledged. A record the broker can never accept is
    /// replaced by a data-gap event saying so (same topic and key), which is sent instead:
    /// its stream moves on, and the loss is visible, never silent.
    private func deliver(_ records: [OutgoingRecord]) async {
        var pending = records
        var attempt = 0
        while !pending.isEmpty {
            let outcomes = await sender.send(pending)
            var failed: [OutgoingRecord] = []
            var firstError: String?
            for (record, outcome) in zip(pending, outcomes) {
                switch outcome {
                case .acknowledged:
                    continue
                case .retriable(let reason):
                    failed.append(record)
                    if firstError == nil { firstError = reason }
                case .permanent(let reason):
                    counters.add(.dataGaps)
                    counters.add(.dataGapBytes, record.value.count)
                    logger.error("broker will never accept a record; sending a data-gap event in its place", metadata: [
                        "bytes": "\(record.value.count)", "topic": "\(record.topic)", "error": "\(reason)"])
                    failed.append(Self.gapEvent(replacing: record, reason: reason))
                }
            }
            if failed.isEmpty { return }
            attempt += 1
            counters.add(.sendFailures, failed.count)
            logger.warning("broker refused records; sending them again", metadata: [
                "records": "\(failed.count)", "error": "\(firstError ?? "")", "attempt": "\(attempt)"])
            try? await Task.sleep(nanoseconds: retryBackoffNanoseconds * UInt64(min(attempt, 30)))
            pending = failed
        }
    }

    static func gapEvent(replacing record: OutgoingRecord, reason: String) -> OutgoingRecord {
        let event = LogEvent(
            timestamp: Timestamp(nanosecondsSinceEpoch: record.timestampMilliseconds * 1_000_000),
            host: String(decoding: record.key, as: UTF8.self), source: "agent",
            message: Array("data gap: a record of \(record.value.count) bytes was refused for good (\(reason))".utf8),
            fields: [LogField("event", .string("data_gap")), LogField("gap_bytes", .int(Int64(record.value.count))),
                     LogField("reason", .string(reason))])
        return OutgoingRecord(topic: record.topic, key: record.key, value: event.encodeJSON(),
                              timestampMilliseconds: record.timestampMilliseconds)
    }

    /// Batches handed to the sender and not yet acknowledged.
    public var batchesInFlight: Int { inFlight.withLock { $0 } }

    /// Waits until every shipped batch is acknowledged, or the timeout passes; true when drained.
    public func drain(timeoutNanoseconds: UInt64) async -> Bool {
        let deadline = ContinuousClock.now + .nanoseconds(Int64(clamping: timeoutNanoseconds))
        while batchesInFlight > 0 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            let (seconds, attoseconds) = left.components
            _ = await drained.wait(timeoutNanoseconds: UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000))
        }
        return true
    }

    /// Writes checkpoints as acknowledgements arrive and frees the window space they
    /// cover; runs until cancelled, then writes once more.
    public func runCheckpointWriter() async {
        while !Task.isCancelled {
            _ = await checkpoints.changedSignal.wait(timeoutNanoseconds: 1_000_000_000)
            writeCheckpoint()
        }
        writeCheckpoint()
    }

    public func writeCheckpoint() {
        do {
            let released = try checkpoints.writeIfChanged()
            if released.bytes > 0 || released.events > 0 { counters.add(.checkpointWrites) }
            window.release(bytes: released.bytes, events: released.events)
        } catch {
            logger.error("cannot save checkpoint; reading waits until it can", metadata: ["error": "\(error)"])
        }
    }
}
