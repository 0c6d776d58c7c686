import SluiceModel

/// Web server access logs: the common log format (Apache `common`) and the combined
/// format (nginx's default `combined`, Apache `combined`), plus the trailing
/// `"$http_x_forwarded_for"` of nginx's stock `main` format.
///
/// `ip ident user [22/Nov/2026:06:16:27 +0000] "GET /path HTTP/1.1" 200 1234 "referer" "agent"`
/// gives `remote_addr`, `remote_user`, `time`, `method`, `path`, `protocol`, `status`
/// (int), `body_bytes_sent` (int; `-` is 0), `http_referer`, `http_user_agent`, using
/// nginx's variable names. Fields written as `-` (no user, no referer) are left out; a
/// request line that is not `METHOD TARGET PROTOCOL` (`"-"`, TLS bytes on a plain port)
/// is kept whole as `request`.
public struct AccessLogParser: LogParser {
    public init() {}

    public func parse(_ line: String, now: Timestamp) -> ParseResult? {
        withUTF8Bytes(line) { Self.parseLine($0) }
    }

    static func parseLine(_ b: Bytes) -> ParseResult? {
        var i = 0
        var fields = ParsedFields()
        guard let address = word(b, &i), let ident = word(b, &i), let user = word(b, &i) else { return nil }
        fields.append("remote_addr", .string(address))
        if ident != "-" { fields.append("remote_ident", .string(ident)) }
        if user != "-" { fields.append("remote_user", .string(user)) }

        guard i + 29 <= b.count, b[i] == ASCII.openBracket, b[i + 27] == ASCII.closeBracket,
              b[i + 28] == ASCII.space, let timestamp = TimestampExtractor.commonLogTime(b, at: i + 1)
        else { return nil }
        fields.append("time", .string(b.text((i + 1)..<(i + 27))))
        i += 29

        guard let request = quoted(b, &i), i < b.count, b[i] == ASCII.space else { return nil }
        i += 1
        let parts = request.split(separator: " ", omittingEmptySubsequences: false)
        if parts.count == 3 || (parts.count == 2 && parts[1].first == "/") {
            fields.append("method", .string(String(parts[0])))
            fields.append("path", .string(String(parts[1])))
            if parts.count == 3 { fields.append("protocol", .string(String(parts[2]))) }
        } else {
            fields.append("request", .string(request))
        }

        guard i + 3 < b.count, let status = b.decimal(i..<(i + 3)), b[i + 3] == ASCII.space else { return nil }
        fields.append("status", .int(status))
        i += 4
        let bytesStart = i
        while i < b.count, b[i] != ASCII.space { i += 1 }
        let sent: Int64
        if b.matches("-", at: bytesStart), i == bytesStart + 1 {
            sent = 0
        } else {
            guard let value = b.decimal(bytesStart..<i) else { return nil }
            sent = value
        }
        fields.append("body_bytes_sent", .int(sent))
        if i == b.count { return ParseResult(format: .commonLog, fields: fields, timestamp: timestamp) }

        for name in ["http_referer", "http_user_agent", "http_x_forwarded_for"] {
            guard i < b.count else { break }
            guard b[i] == ASCII.space, i + 1 < b.count else { return nil }
            i += 1
            guard let value = quoted(b, &i) else { return nil }
            if value != "-" { fields.append(name, .string(value)) }
            if name == "http_referer", i == b.count { return nil }  // a referer without an agent
        }
        guard i == b.count else { return nil }
        return ParseResult(format: .nginxCombined, fields: fields, timestamp: timestamp)
    }

    /// A word and the single space after it.
    private static func word(_ b: Bytes, _ i: inout Int) -> String? {
        let start = i
        while i < b.count, b[i] > ASCII.space { i += 1 }
        guard i > start, i < b.count, b[i] == ASCII.space else { return nil }
        i += 1
        return b.text(start..<(i - 1))
    }

    /// A double-quoted string; Apache escapes `"` and `\` with a backslash (nginx writes
    /// `\x22`, which stays as it is).
    private static func quoted(_ b: Bytes, _ i: inout Int) -> String? {
        guard i < b.count, b[i] == ASCII.quote else { return nil }
        i += 1
        var out: [UInt8] = []
        while i < b.count, b[i] != ASCII.quote {
            if b[i] == ASCII.backslash, i + 1 < b.count, b[i + 1] == ASCII.quote || b[i + 1] == ASCII.backslash {
                i += 1
            }
            out.append(b[i])
            i += 1
        }
        guard i < b.count else { return nil }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }
}
