import SluiceModel

/// Structured application logs, one JSON object per event (zap, logrus, slog, pino,
/// logstash-logback-encoder). Message from `msg`/`message`, time from
/// `TimestampExtractor.fieldNames`, level from `LevelNormalizer.fieldNames`.
public struct JSONLogParser: LogParser {
    /// Field names holding the human message, in order of preference.
    public static let messageFieldNames = ["msg", "message"]

    public init() {}

    public func parse(_ line: String, now: Timestamp) -> ParseResult? {
        // The whole text: JSON allows newlines between tokens, and strings escape theirs.
        guard let fields = withUTF8Bytes(line, JSONObjectDecoder.decode) else { return nil }
        return ParseResult(structured: fields, format: .json)
    }
}

extension ParseResult {
    /// A result for key/value formats (JSON, logfmt), reading time, message and level
    /// from their conventional fields.
    init(structured fields: ParsedFields, format: LogFormat) {
        var message: String?
        for name in JSONLogParser.messageFieldNames {
            if case .string(let text)? = fields.first(namedIgnoringCase: [name]) { message = text; break }
        }
        self.init(format: format, fields: fields, timestamp: TimestampExtractor.timestamp(in: fields),
                  message: message, level: LevelNormalizer.level(in: fields))
    }
}
