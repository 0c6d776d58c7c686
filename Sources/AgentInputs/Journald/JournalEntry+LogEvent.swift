import SluiceModel

extension JournalEntry {
    /// The journal fields that get a short name (and a type) in a log event, in the order
    /// they are written; every other field keeps its journal name.
    static let renamedFields: [(journal: String, event: String, isNumber: Bool)] = [
        ("_SYSTEMD_UNIT", "unit", false),
        ("PRIORITY", "priority", true),
        ("SYSLOG_IDENTIFIER", "syslog_identifier", false),
        ("SYSLOG_FACILITY", "facility", true),
        ("_PID", "pid", true),
        ("_HOSTNAME", "hostname", false),
        ("_COMM", "comm", false),
        ("_TRANSPORT", "transport", false),
        ("_BOOT_ID", "boot_id", false),
    ]

    /// The entry as a `journald` log event. `MESSAGE` becomes the message (bytes as stored);
    /// the fields in `renamedFields` come first under their short names, numbers as `.int`
    /// when they parse and as `.bytes` when they do not; every other field follows as `.bytes`
    /// under its journal name, then `cursor`. A repeated field keeps every value: the first
    /// under the short name, the rest under the journal name (JSON then repeats that key,
    /// as the event has no arrays).
    ///
    /// - Parameters:
    ///   - host: the agent's host name (the record key), not the entry's `_HOSTNAME`.
    ///   - labels: the input's configured labels.
    public func logEvent(host: String, labels: Labels) -> LogEvent {
        var message: [UInt8]?
        var renamed = [LogField?](repeating: nil, count: Self.renamedFields.count)
        var others: [LogField] = []
        others.reserveCapacity(fields.count)
        for field in fields {
            if field.name == "MESSAGE", message == nil {
                message = field.value
                continue
            }
            if let index = Self.renamedFields.firstIndex(where: { $0.journal == field.name }), renamed[index] == nil {
                let spec = Self.renamedFields[index]
                renamed[index] = LogField(spec.event, spec.isNumber ? Self.number(field.value) : Self.text(field.value))
                continue
            }
            others.append(LogField(field.name, .bytes(field.value)))
        }
        var eventFields = renamed.compactMap { $0 }
        eventFields.append(contentsOf: others)
        eventFields.append(LogField("cursor", .string(cursor)))
        return LogEvent(timestamp: realtime, host: host, source: "journald", message: message ?? [],
                        fields: eventFields, labels: labels)
    }

    private static func number(_ value: [UInt8]) -> LogFieldValue {
        decimal(value).map { .int($0) } ?? .bytes(value)
    }

    private static func text(_ value: [UInt8]) -> LogFieldValue {
        String(validating: value, as: UTF8.self).map { .string($0) } ?? .bytes(value)
    }
}
