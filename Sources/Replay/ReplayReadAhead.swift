import Glibc
import CommitLog
import Dispatch
import KafkaWire
import Processors
import Synchronization

/// Reads and decodes a topic window on a thread of its own while the caller appends what
/// was decoded before: decoding JSON and appending to the buffer each take about half of a
/// replay's reading, so on two cores they overlap instead of taking turns. At most
/// `capacity` decoded runs wait (a few MiB each).
///
/// Thread-safety: one producer thread (started by `init`) and one consumer (`next`).
final class ReplayReadAhead: @unchecked Sendable {
    enum Item {
        case run(partition: TopicPartition, records: DecodedMetricRecords, progress: TopicTimeRangeReader.Progress)
        case end(TopicTimeRangeReader.Progress)
        case failure(any Error)
    }

    private let items = Mutex<[Item]>([])
    private let available = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(reader: TopicTimeRangeReader, capacity: Int = 4) {
        free = DispatchSemaphore(value: capacity)
        var reader = reader
        let thread = ProducerThread { [self] in
            defer { finished.signal() }
            do {
                while !stopped.load(ordering: .relaxed), let run = try reader.nextRun() {
                    let decoded = DecodedMetricRecords(run.records, onEveryCore: false)
                    put(.run(partition: run.partition, records: decoded, progress: reader.progress))
                }
                put(.end(reader.progress))
            } catch {
                put(.failure(error))
            }
        }
        thread.start()
    }

    private func put(_ item: Item) {
        free.wait()
        items.withLock { $0.append(item) }
        available.signal()
    }

    /// The next decoded run, the end with the reader's final progress, or its error.
    func next() -> Item {
        available.wait()
        let item = items.withLock { $0.removeFirst() }
        free.signal()
        return item
    }

    /// Stops the producer early (the consumer is done) and waits for its thread to end.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        // Unblock a producer waiting for a free slot: take whatever it put.
        while finished.wait(timeout: .now() + .milliseconds(10)) == .timedOut {
            if available.wait(timeout: .now()) == .success {
                _ = items.withLock { $0.removeFirst() }
                free.signal()
            }
        }
    }
}

/// A plain thread (not the concurrency pool, whose threads must not block).
private final class ProducerThread: @unchecked Sendable {
    private let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }

    func start() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self)
        let created = pthread_create(&thread, nil, { context in
            let owner = Unmanaged<ProducerThread>.fromOpaque(context!).takeRetainedValue()
            owner.body()
            return nil
        }, box.toOpaque())
        if created == 0 {
            pthread_detach(thread)
        } else {
            box.release()
            body()  // no thread: run inline (the queue then only ever holds what fits)
        }
    }
}
