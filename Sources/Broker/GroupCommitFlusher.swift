import CommitLog
import Dispatch
import Foundation
import NIOCore
import Synchronization

/// Group commit for acks=all: produces register "durable up to offset N" and a single
/// flusher thread fsyncs each partition once for everything registered so far, then
/// completes all of them. Under load one fdatasync covers many producers' batches, so
/// throughput does not collapse to one fsync per request.
///
/// Thread-safe.
final class GroupCommitFlusher: Sendable {
    private struct Waiting {
        var log: PartitionLog
        var promises: [EventLoopPromise<Void>]
    }

    private let pending = Mutex<(waiting: [ObjectIdentifier: Waiting], stopped: Bool)>(([:], false))
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "sluice-flusher"
        thread.start()
    }

    /// Completes `promise` once everything in `log` up to `offset` (exclusive) is on disk.
    func whenDurable(_ log: PartitionLog, upTo offset: Int64, _ promise: EventLoopPromise<Void>) {
        if log.flushedOffset >= offset { return promise.succeed() }
        let accepted = pending.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.waiting[ObjectIdentifier(log), default: Waiting(log: log, promises: [])].promises.append(promise)
            return true
        }
        guard accepted else { return promise.fail(BrokerError.shuttingDown) }
        wakeup.signal()
    }

    /// Flushes what is waiting, then stops the thread.
    func stop() {
        pending.withLock { $0.stopped = true }
        wakeup.signal()
        finished.wait()
    }

    private func run() {
        while true {
            wakeup.wait()
            let (batch, stopped) = pending.withLock { state in
                let taken = state.waiting
                state.waiting = [:]
                return (taken, state.stopped)
            }
            for waiting in batch.values {
                do {
                    try waiting.log.flush()
                    waiting.promises.forEach { $0.succeed() }
                } catch {
                    waiting.promises.forEach { $0.fail(error) }
                }
            }
            if stopped { break }
        }
        finished.signal()
    }
}

enum BrokerError: Error, CustomStringConvertible {
    case shuttingDown
    case frameTooLarge(Int, limit: Int)
    case unsupportedRequest(apiKey: Int16, version: Int16)

    var description: String {
        switch self {
        case .shuttingDown: "the broker is shutting down"
        case let .frameTooLarge(size, limit): "request of \(size) bytes exceeds the limit of \(limit)"
        case let .unsupportedRequest(key, version): "unsupported API key \(key) version \(version)"
        }
    }
}
