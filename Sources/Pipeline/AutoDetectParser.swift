import SluiceModel

/// The parse step's default: tries JSON (a line starting with `{`), RFC 5424
/// (`<PRI>1 `), RFC 3164 (`<PRI>`, `Mmm dd hh:mm:ss host tag:` or rsyslog's RFC 3339
/// file format), the combined and common access log formats, then logfmt (at least two
/// `key=value` pairs). Each parser rejects a foreign line within its first bytes, so a
/// miss costs little. nil means no format matched: the caller keeps the raw message
/// with a parse-error marker.
public struct AutoDetectParser: LogParser {
    public init() {}

    public func parse(_ line: String, now: Timestamp) -> ParseResult? {
        withUTF8Bytes(line) { bytes in
            var start = 0
            while start < bytes.count, bytes[start] == ASCII.space || bytes[start] == ASCII.tab { start += 1 }
            guard start < bytes.count else { return nil }
            let first = bytes[start]
            if first == ASCII.openBrace, let fields = JSONObjectDecoder.decode(bytes) {
                return ParseResult(structured: fields, format: .json)
            }
            let lines = MultiLine(bytes)
            func withRest(_ result: ParseResult?) -> ParseResult? {
                guard var result else { return nil }
                result.message = lines.message(result.message)
                return result
            }
            if first == ASCII.less {
                if let result = Syslog5424Parser.parseLine(lines.head) { return withRest(result) }
                return withRest(Syslog3164Parser.parseLine(lines.head, now: now))
            }
            if let result = Syslog3164Parser.parseLine(lines.head, now: now) { return withRest(result) }
            if let result = AccessLogParser.parseLine(bytes) { return result }
            if let fields = LogfmtParser.fields(lines.head) {
                return withRest(ParseResult(structured: fields, format: .logfmt))
            }
            return nil
        }
    }

    /// The format of `line`, or nil when none matches.
    public func detect(_ line: String) -> LogFormat? {
        parse(line, now: Timestamp(nanosecondsSinceEpoch: 0))?.format
    }
}
