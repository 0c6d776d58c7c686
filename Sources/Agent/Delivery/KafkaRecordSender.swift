import CRdKafka
import KafkaClient
import Logging

/// Delivers the agent's records with librdkafka: acks=all, idempotent, retrying forever
/// while the broker is unreachable (message.timeout.ms 0), compressed as configured.
public final class KafkaRecordSender: RecordSender {
    public let producer: KafkaProducer

    public init(settings: AgentConfig.KafkaSettings, queuedBytes: Int, logger: Logger) throws {
        var config = KafkaProducerConfig(bootstrapServers: settings.bootstrap)
        config.acks = settings.acks
        config.compression = KafkaCompression(rawValue: settings.compression) ?? .zstd
        config.compressionLevel = settings.compressionLevel
        config.lingerMilliseconds = Int(settings.lingerNanoseconds / 1_000_000)
        config.batchBytes = settings.batchBytes
        // Room for the whole delivery window plus the metric queue's batches in flight.
        config.maxQueuedBytes = queuedBytes
        config.messageTimeoutMilliseconds = 0
        config.idempotence = settings.acks == "all" || settings.acks == "-1"
        config.extra = settings.librdkafka
        config.logHandler = { level, facility, message in
            // librdkafka's syslog levels: 0-3 errors, 4 warning, 5-6 notice/info, 7 debug.
            let logLevel: Logger.Level = level <= 3 ? .error : level == 4 ? .warning : level <= 6 ? .info : .debug
            logger.log(level: logLevel, "librdkafka \(facility): \(message)")
        }
        producer = try KafkaProducer(config: config)
    }

    public func send(_ records: [OutgoingRecord]) async -> [SendOutcome] {
        let messages = records.map {
            KafkaOutgoingMessage(topic: $0.topic, key: $0.key, value: $0.value, timestampMilliseconds: $0.timestampMilliseconds)
        }
        return await producer.send(messages).map { report in
            guard let error = report.error else { return .acknowledged }
            return Self.permanentCodes.contains(error.code) ? .permanent("\(error)") : .retriable("\(error)")
        }
    }

    /// Errors that sending again cannot cure: MSG_SIZE_TOO_LARGE (10, from librdkafka or
    /// the broker), INVALID_ARG (-186), a value larger than the whole queue (QUEUE_FULL,
    /// -184, which the producer reports only in that case since it waits out a merely
    /// full queue), and the broker's TOPIC_EXCEPTION (17), RECORD_LIST_TOO_LARGE (18) and
    /// INVALID_RECORD (87).
    static let permanentCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue, RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue,
        RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION.rawValue,
        RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE.rawValue, RD_KAFKA_RESP_ERR_INVALID_RECORD.rawValue,
    ]

    public func close() {
        producer.close()
    }
}
