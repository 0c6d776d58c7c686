import SluiceModel

/// Turns a record of the `logs` topic into a pipeline event (SPEC §3). A JSON log event
/// (an object with a string `message`) gives its `timestamp`, fields and `labels`; any
/// other value is a plain line, wrapped as `{message: <line>}` with the record's
/// timestamp and, as host, the record key.
public enum EventDecoder {
    public static func decode(value: [UInt8], key: [UInt8]?, recordTimestamp: Timestamp) -> PipelineEvent {
        if let first = value.first(where: { $0 != ASCII.space && $0 != ASCII.tab }), first == ASCII.openBrace,
           let fields = value.withUnsafeBufferPointer({ JSONObjectDecoder.decode($0) }),
           case .string(let message)? = fields["message"] {
            var event = PipelineEvent(timestamp: recordTimestamp, message: Array(message.utf8))
            for field in fields {
                switch field.name {
                case "message", "invalid_utf8": continue
                case "timestamp":
                    if case .string(let text) = field.value, let time = Timestamp(rfc3339: text) {
                        event.timestamp = time
                    } else {
                        event.fields.append(field.name, field.value)
                    }
                default:
                    if field.name.hasPrefix("labels.") {
                        event.labels[String(field.name.dropFirst(7))] = field.value.text
                    } else {
                        event.fields.append(field.name, field.value)
                    }
                }
            }
            return event
        }
        var event = PipelineEvent(timestamp: recordTimestamp, message: value)
        if let key, !key.isEmpty { event.fields.append("host", .string(String(decoding: key, as: UTF8.self))) }
        event.fields.append("source", "kafka")
        return event
    }
}
