import SluiceModel

/// One event as the steps see it: event time, the raw message (what becomes the stored
/// line), the event's fields in order, and the labels the producer attached (they are
/// always stream labels). Steps read and change it in place.
public struct PipelineEvent: Sendable, Equatable {
    public var timestamp: Timestamp
    /// The message bytes exactly as they arrived; never rewritten by parsing, so the
    /// stored line is what the application wrote.
    public var message: [UInt8]
    public var fields: ParsedFields
    public var labels: Labels
    /// What the parse step found, for the timestamp and level steps after it.
    public var parsed: ParseResult?

    public init(timestamp: Timestamp, message: [UInt8], fields: ParsedFields = ParsedFields(),
                labels: Labels = Labels(), parsed: ParseResult? = nil) {
        self.timestamp = timestamp
        self.message = message
        self.fields = fields
        self.labels = labels
        self.parsed = parsed
    }

    /// The value of field `name`, including the event's own `host`/`source` fields.
    public subscript(field name: String) -> FieldValue? {
        get { fields[name] }
        set { fields.set(name, newValue) }
    }

    /// The message as text for parsers; invalid UTF-8 becomes U+FFFD (the stored line
    /// keeps the original bytes).
    public var messageText: String { String(decoding: message, as: UTF8.self) }
}

extension ParsedFields {
    /// Replaces every field named `name` with one value (appended if absent), or removes
    /// them all when `value` is nil.
    public mutating func set(_ name: String, _ value: FieldValue?) {
        guard let value else {
            remove(name)
            return
        }
        if let kept = fields.lastIndex(where: { $0.name == name }) {
            fields[kept].value = value
            var position = 0
            fields.removeAll { field in
                defer { position += 1 }
                return field.name == name && position != kept
            }
        } else {
            append(name, value)
        }
    }

    /// Removes every field named `name`; returns the last value it had.
    @discardableResult
    public mutating func remove(_ name: String) -> FieldValue? {
        let last = self[name]
        fields.removeAll { $0.name == name }
        return last
    }
}
