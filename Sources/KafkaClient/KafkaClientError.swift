/// A librdkafka error with its code and text (`rd_kafka_err2str`).
public struct KafkaClientError: Error, CustomStringConvertible, Sendable, Equatable {
    public var code: Int32
    public var message: String

    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "kafka error \(code): \(message)" }
}
