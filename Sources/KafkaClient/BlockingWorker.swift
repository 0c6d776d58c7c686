import Synchronization

/// One thread that runs blocking librdkafka calls in the order they were submitted, and
/// resumes the awaiting task with each result.
final class BlockingWorker: Sendable {
    private typealias Job = @Sendable () -> Void

    /// Shared with the thread (which must not retain the worker itself).
    private final class Queue: Sendable {
        let jobs = Mutex<(pending: [Job], stopped: Bool)>(([], false))
        /// Signalled once per job, and once more on stop.
        let ready = Semaphore()
    }

    private let queue = Queue()
    private let thread: NativeThread

    init() {
        let queue = self.queue
        thread = NativeThread {
            while true {
                queue.ready.wait()
                let job = queue.jobs.withLock { state -> Job? in
                    state.pending.isEmpty ? nil : state.pending.removeFirst()
                }
                guard let job else { return }  // a signal with nothing queued is the stop
                job()
            }
        }
    }

    /// Runs `body` on the worker thread; throws `error` without running it once stopped.
    func run<T: Sendable>(
        orFailWith error: KafkaClientError, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = submit {
                continuation.resume(with: Result { try body() })
            }
            if !accepted { continuation.resume(throwing: error) }
        }
    }

    /// Queues `job`; false once stopped.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = queue.jobs.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.pending.append(job)
            return true
        }
        if accepted { queue.ready.signal() }
        return accepted
    }

    /// Lets queued jobs finish, then ends the thread and waits for it. Call once, not from
    /// a job.
    func stop() {
        queue.jobs.withLock { $0.stopped = true }
        queue.ready.signal()
        thread.join()
    }
}
