import SluiceModel

/// RFC 5424 syslog: `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`, as
/// rsyslog (`RSYSLOG_SyslogProtocol23Format`) and syslog-ng (`syslog()` driver) send it.
///
/// Fields: `facility`, `severity`, `hostname`, `appname`, `procid`, `msgid` (each left
/// out when the line has the nil value `-`), and `sd.<SD-ID>.<PARAM>` for structured
/// data. A BOM before MSG is dropped. A multi-line event is parsed by its first line.
public struct Syslog5424Parser: LogParser {
    public init() {}

    public func parse(_ line: String, now: Timestamp) -> ParseResult? {
        withUTF8Bytes(line) { bytes in
            let lines = MultiLine(bytes)
            guard var result = Self.parseLine(lines.head) else { return nil }
            result.message = lines.message(result.message)
            return result
        }
    }

    static func parseLine(_ b: Bytes) -> ParseResult? {
        var i = 0
        guard let priority = SyslogPriority.parse(b, &i) else { return nil }
        // VERSION: 1–3 digits, not starting with 0 (only 1 exists).
        let versionStart = i
        while i < b.count, ASCII.isDigit(b[i]), i - versionStart < 3 { i += 1 }
        guard i > versionStart, b[versionStart] != ASCII.zero, i < b.count, b[i] == ASCII.space else { return nil }
        i += 1

        var fields = ParsedFields()
        priority.append(to: &fields)
        guard let timestampText = token(b, &i) else { return nil }
        var timestamp: Timestamp?
        if timestampText != "-" {
            guard let parsed = CivilTime.rfc3339(timestampText) else { return nil }
            timestamp = parsed
        }
        for name in ["hostname", "appname", "procid", "msgid"] {
            guard let value = token(b, &i) else { return nil }
            if value != "-" { fields.append(name, .string(value)) }
        }
        guard i < b.count else { return nil }
        if b[i] == ASCII.minus {
            i += 1
        } else {
            guard b[i] == ASCII.openBracket else { return nil }
            while i < b.count, b[i] == ASCII.openBracket {
                guard structuredDataElement(b, &i, into: &fields) else { return nil }
            }
        }
        var message: String?
        if i < b.count {
            guard b[i] == ASCII.space else { return nil }
            i += 1
            if b.matches("\u{FEFF}", at: i) { i += 3 }
            message = b.text(i..<b.count)
        }
        return ParseResult(format: .syslog5424, fields: fields, timestamp: timestamp,
                           message: message, level: priority.level)
    }

    /// A header field: printable ASCII up to a space, which it consumes.
    private static func token(_ b: Bytes, _ i: inout Int) -> String? {
        let start = i
        while i < b.count, b[i] > ASCII.space, b[i] < 0x7F { i += 1 }
        guard i > start, i < b.count, b[i] == ASCII.space else { return nil }
        i += 1
        return b.text(start..<(i - 1))
    }

    /// `[SD-ID PARAM="value" …]`; values unescape `\"`, `\\` and `\]`.
    private static func structuredDataElement(_ b: Bytes, _ i: inout Int, into fields: inout ParsedFields) -> Bool {
        i += 1
        let idStart = i
        while i < b.count, b[i] > ASCII.space, b[i] != ASCII.closeBracket, b[i] != ASCII.equals,
              b[i] != ASCII.quote { i += 1 }
        guard i > idStart, i < b.count else { return false }
        let id = b.text(idStart..<i)
        while i < b.count, b[i] == ASCII.space {
            i += 1
            let nameStart = i
            while i < b.count, b[i] > ASCII.space, b[i] != ASCII.equals, b[i] != ASCII.closeBracket,
                  b[i] != ASCII.quote { i += 1 }
            guard i > nameStart, i + 1 < b.count, b[i] == ASCII.equals, b[i + 1] == ASCII.quote else { return false }
            let name = b.text(nameStart..<i)
            i += 2
            var value: [UInt8] = []
            while i < b.count, b[i] != ASCII.quote {
                if b[i] == ASCII.backslash, i + 1 < b.count,
                   b[i + 1] == ASCII.quote || b[i + 1] == ASCII.backslash || b[i + 1] == ASCII.closeBracket {
                    i += 1
                }
                value.append(b[i])
                i += 1
            }
            guard i < b.count else { return false }
            i += 1
            fields.append("sd.\(id).\(name)", .string(String(decoding: value, as: UTF8.self)))
        }
        guard i < b.count, b[i] == ASCII.closeBracket else { return false }
        i += 1
        return true
    }
}
