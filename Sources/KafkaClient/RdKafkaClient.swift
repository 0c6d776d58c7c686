import CRdKafka
import Glibc

/// Owns one `rd_kafka_t` and the context its C callbacks reach through the handle's opaque.
///
/// Thread-safety: librdkafka's handle is thread-safe; `destroy` must be called exactly once,
/// by the owner, after every other use has ended (the owners guarantee that).
final class RdKafkaClient: @unchecked Sendable {
    let pointer: OpaquePointer
    private let context: Unmanaged<RdKafkaContext>

    /// Builds the configuration from `properties` (in order), lets `configure` install
    /// callbacks, and creates the handle. Throws a `KafkaClientError` naming the property that
    /// librdkafka rejected.
    init(
        type: rd_kafka_type_t, properties: [(String, String)], logHandler: KafkaLogHandler?,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws {
        guard let conf = rd_kafka_conf_new() else { fatalError("rd_kafka_conf_new returned NULL") }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw KafkaClientError(
                    code: KafkaClientError.invalidArgumentCode,
                    message: "\(name)=\(value): \(cString(errorText))",
                    property: name)
            }
        }
        let context = Unmanaged.passRetained(RdKafkaContext(logHandler: logHandler))
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        if logHandler != nil { rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback) }
        configure(conf)
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            context.release()
            let text = cString(errorText)
            throw KafkaClientError(
                code: KafkaClientError.invalidArgumentCode, message: text, property: Self.propertyNamed(in: text))
        }
        self.pointer = handle
        self.context = context
    }

    /// Destroys the handle (blocking until librdkafka's threads end), then the context.
    func destroy() {
        rd_kafka_destroy(pointer)
        context.release()
    }

    /// Forwards a line to the log handler, or to stderr when there is none.
    func log(level: Int32, facility: String, _ message: String) {
        context.takeUnretainedValue().log(level: level, facility: facility, message)
    }

    /// A property's value as in effect (after defaults and adjustments such as idempotence's).
    func configurationValue(_ name: String) -> String? {
        var text = [CChar](repeating: 0, count: 256)
        var size = text.count
        guard rd_kafka_conf_get(rd_kafka_conf(pointer), name, &text, &size) == RD_KAFKA_CONF_OK else { return nil }
        return cString(text)
    }

    /// The fatal error librdkafka raised, if any (idempotence violations and the like).
    func raisedFatalError() -> KafkaClientError? {
        var text = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(pointer, &text, text.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaClientError(code: code.rawValue, message: cString(text))
    }

    /// librdkafka quotes property names in backticks in `rd_kafka_new`'s errors
    /// ("`acks` must be set to `all` when `enable.idempotence` is true"); the first is the
    /// one at fault.
    private static func propertyNamed(in text: String) -> String? {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return parts.count >= 3 ? String(parts[1]) : nil
    }
}

/// What the C callbacks need, reached through `rd_kafka_opaque`.
final class RdKafkaContext: Sendable {
    let logHandler: KafkaLogHandler?

    init(logHandler: KafkaLogHandler?) { self.logHandler = logHandler }

    func log(level: Int32, facility: String, _ message: String) {
        if let logHandler {
            logHandler(level, facility, message)
        } else {
            let line = "%\(level)|\(facility)|\(message)\n"
            _ = line.utf8.withContiguousStorageIfAvailable { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }
}

/// librdkafka's `log_cb`; runs on librdkafka's internal threads.
func rdKafkaLogCallback(
    _ handle: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>?
) {
    guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
    let context = Unmanaged<RdKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    context.log(level: level, facility: facility.map { String(cString: $0) } ?? "", message.map { String(cString: $0) } ?? "")
}

/// The text of a NUL-terminated buffer librdkafka filled (errstr).
func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
