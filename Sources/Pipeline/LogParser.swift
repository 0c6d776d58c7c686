import SluiceModel

/// A parser turns one event's text into fields. Parsers are values with no state, safe
/// to share between pipeline workers, and never trap on bad input: they return nil,
/// and the caller keeps the raw message with a parse-error marker.
public protocol LogParser: Sendable {
    /// Parses `line`; nil when it is not in this parser's format.
    ///
    /// `now` is the reference instant for timestamps without a year (RFC 3164): pass the
    /// record's timestamp, so that replays parse the same way they did live.
    func parse(_ line: String, now: Timestamp) -> ParseResult?
}

/// What a parser extracted from one event.
public struct ParseResult: Sendable, Equatable {
    /// The format that matched (what auto-detection picked).
    public var format: LogFormat
    public var fields: ParsedFields
    /// Event time, when the format carries one and it parses.
    public var timestamp: Timestamp?
    /// The human-readable part (syslog MSG, JSON/logfmt `msg` or `message`); nil when the
    /// format has none, and the caller keeps the raw line. For a multi-line event the
    /// lines after the first are appended, so a stack trace stays with its message.
    public var message: String?
    /// The normalized level, when the event carries one.
    public var level: LogLevel?

    public init(format: LogFormat, fields: ParsedFields, timestamp: Timestamp? = nil,
                message: String? = nil, level: LogLevel? = nil) {
        self.format = format
        self.fields = fields
        self.timestamp = timestamp
        self.message = message
        self.level = level
    }
}
