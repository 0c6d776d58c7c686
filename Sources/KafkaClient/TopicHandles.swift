import CRdKafka
import Synchronization

/// The producer's `rd_kafka_topic_t` per topic name, created on first use and kept until
/// close: producing by handle (`RD_KAFKA_VTYPE_RKT`) skips a by-name lookup per message.
final class TopicHandles: Sendable {
    private struct Handle: @unchecked Sendable { let pointer: OpaquePointer }
    private let client: RdKafkaClient
    private let handles = Mutex<[String: Handle]>([:])

    init(client: RdKafkaClient) { self.client = client }

    /// The handle for `topic`; nil when librdkafka refuses to create it.
    func handle(for topic: String) -> OpaquePointer? {
        handles.withLock { handles in
            if let handle = handles[topic] { return handle.pointer }
            guard let pointer = rd_kafka_topic_new(client.pointer, topic, nil) else { return nil }
            handles[topic] = Handle(pointer: pointer)
            return pointer
        }
    }

    /// Releases every handle; call before destroying the client.
    func destroyAll() {
        let all = handles.withLock { handles in
            defer { handles = [:] }
            return Array(handles.values)
        }
        for handle in all { rd_kafka_topic_destroy(handle.pointer) }
    }
}
