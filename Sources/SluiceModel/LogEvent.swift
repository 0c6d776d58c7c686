/// One log event as it travels through the `logs` topic (SPEC §3): a JSON object with
/// `timestamp` (RFC 3339, nanoseconds), `host`, `source`, `message`, the source's own
/// fields, and `labels`. The record key is the host; the record timestamp is event time.
///
/// `message` is bytes, not a String, because a log line may hold anything; encoding
/// keeps invalid UTF-8 as `\\xNN` and sets `"invalid_utf8":true` on the event.
public struct LogEvent: Sendable, Equatable {
    public var timestamp: Timestamp
    public var host: String
    public var source: String
    public var message: [UInt8]
    /// Source fields in the order they are written (`file`, `offset`, `unit`, …).
    public var fields: [LogField]
    public var labels: Labels

    public init(timestamp: Timestamp, host: String, source: String, message: [UInt8],
                fields: [LogField] = [], labels: Labels = Labels()) {
        self.timestamp = timestamp
        self.host = host
        self.source = source
        self.message = message
        self.fields = fields
        self.labels = labels
    }

    /// The record value: one JSON object, no trailing newline.
    public func encodeJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: message.count + 128)
        writeJSON(to: &writer)
        return writer.bytes
    }

    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"timestamp\":\"")
        timestamp.appendRFC3339(to: &writer.bytes)
        writer.raw("\",\"host\":")
        writer.string(host)
        writer.raw(",\"source\":")
        writer.string(source)
        writer.raw(",\"message\":")
        var invalid = writer.string(bytes: message)
        for field in fields {
            writer.raw(UInt8(ascii: ","))
            writer.key(field.name)
            switch field.value {
            case .string(let text): writer.string(text)
            case .bytes(let bytes): if writer.string(bytes: bytes) { invalid = true }
            case .int(let number): writer.int(number)
            case .bool(let flag): writer.bool(flag)
            }
        }
        if invalid { writer.raw(",\"invalid_utf8\":true") }
        if !labels.isEmpty {
            writer.raw(",\"labels\":")
            labels.writeJSON(to: &writer)
        }
        writer.raw(UInt8(ascii: "}"))
    }
}

/// A named source field of a log event.
public struct LogField: Sendable, Equatable {
    public var name: String
    public var value: LogFieldValue

    public init(_ name: String, _ value: LogFieldValue) {
        self.name = name
        self.value = value
    }
}

public enum LogFieldValue: Sendable, Equatable {
    case string(String)
    /// Bytes that may not be UTF-8 (journal fields are binary-safe).
    case bytes([UInt8])
    case int(Int64)
    case bool(Bool)
}
