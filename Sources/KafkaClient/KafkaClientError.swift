import CRdKafka

/// A librdkafka error with its code and text (`rd_kafka_err2str`), or a configuration error
/// naming the property librdkafka rejected.
public struct KafkaClientError: Error, CustomStringConvertible, Sendable, Equatable {
    /// librdkafka's `rd_kafka_resp_err_t`: negative codes are local (client-side), positive
    /// ones are Kafka protocol error codes returned by the broker.
    public var code: Int32
    public var message: String
    /// The configuration property at fault, for errors raised while building a client.
    public var property: String?

    public init(code: Int32, message: String, property: String? = nil) {
        self.code = code
        self.message = message
        self.property = property
    }

    public var description: String {
        if let property { return "kafka configuration error (\(property)): \(message)" }
        return "kafka error \(code): \(message)"
    }
}

extension KafkaClientError {
    /// `RD_KAFKA_RESP_ERR__INVALID_ARG`: the code of configuration errors.
    public static let invalidArgumentCode = RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue
    /// `RD_KAFKA_RESP_ERR__DESTROY`: the client was closed before the operation finished.
    public static let closedCode = RD_KAFKA_RESP_ERR__DESTROY.rawValue
    /// `RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE`: larger than `message.max.bytes` (client) or the
    /// broker's limit.
    public static let messageSizeTooLargeCode = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue

    init(_ error: rd_kafka_resp_err_t) {
        self.init(code: error.rawValue, message: String(cString: rd_kafka_err2str(error)))
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer) {
        defer { rd_kafka_error_destroy(error) }
        self.init(code: rd_kafka_error_code(error).rawValue, message: String(cString: rd_kafka_error_string(error)))
    }

    static func closed(_ what: String) -> KafkaClientError {
        KafkaClientError(code: closedCode, message: "\(what) is closed")
    }
}
