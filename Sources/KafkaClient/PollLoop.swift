import CRdKafka
import Synchronization

/// The producer's poll thread: serves delivery reports (`rd_kafka_poll`) until stopped, and
/// after each poll wakes senders waiting for queue space.
final class PollLoop: Sendable {
    private final class Running: Sendable {
        let flag = Atomic<Bool>(true)
    }

    private let client: RdKafkaClient
    private let running = Running()
    private let thread: NativeThread

    init(client: RdKafkaClient, space: QueueSpace) {
        let running = self.running
        self.client = client
        self.thread = NativeThread {
            while running.flag.load(ordering: .acquiring) {
                rd_kafka_poll(client.pointer, 100)
                space.advance()
            }
        }
    }

    /// Ends the loop and waits for the thread; call once. No delivery callback runs on the
    /// poll thread after this returns.
    func stop() {
        running.flag.store(false, ordering: .releasing)
        // Wakes a poll that is waiting, so the thread sees the flag now rather than in 100 ms.
        if let queue = rd_kafka_queue_get_main(client.pointer) {
            rd_kafka_queue_yield(queue)
            rd_kafka_queue_destroy(queue)
        }
        thread.join()
    }
}
