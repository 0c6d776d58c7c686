import SluiceModel

extension PipelineEvent {
    /// The event as a `logs`-topic JSON log event (SPEC §3), for `route` steps: parsed
    /// fields travel along, so the next pipeline need not parse again.
    public func encodeJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: message.count + 64 * (fields.count + 2))
        writer.raw("{\"timestamp\":\"")
        timestamp.appendRFC3339(to: &writer.bytes)
        writer.raw("\",\"message\":")
        var invalid = writer.string(bytes: message)
        for field in fields where field.name != "timestamp" && field.name != "message" && field.name != "labels" {
            writer.raw(UInt8(ascii: ","))
            writer.key(field.name)
            switch field.value {
            case .string(let text): writer.string(text)
            case .int(let number): writer.int(number)
            case .double(let number): writer.double(number)
            case .bool(let flag): writer.bool(flag)
            case .null: writer.raw("null")
            }
        }
        if invalid { writer.raw(",\"invalid_utf8\":true") }
        invalid = false
        if !labels.isEmpty {
            writer.raw(",\"labels\":")
            labels.writeJSON(to: &writer)
        }
        writer.raw(UInt8(ascii: "}"))
        return writer.bytes
    }
}
