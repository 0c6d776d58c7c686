import SluiceModel

/// BSD syslog (RFC 3164) and the traditional text files rsyslog and syslog-ng write:
///
/// - `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG` (on the wire),
/// - `Mmm dd hh:mm:ss HOST TAG[PID]: MSG` (`/var/log/syslog`, no PRI),
/// - `2026-11-22T06:16:27.123456+00:00 HOST TAG[PID]: MSG` (rsyslog's high-precision
///   `RSYSLOG_FileFormat`, also with a PRI as `RSYSLOG_ForwardFormat`).
///
/// Fields: `facility` and `severity` (with a PRI), `hostname`, `appname` (the tag),
/// `procid`. Without a PRI the line must have a `TAG:`, so that arbitrary text starting
/// with a date is not taken for syslog. `Mmm dd` has no year and no zone: it is read as
/// UTC, in the year that puts it at most a day after `now`.
public struct Syslog3164Parser: LogParser {
    public init() {}

    public func parse(_ line: String, now: Timestamp) -> ParseResult? {
        withUTF8Bytes(line) { bytes in
            let lines = MultiLine(bytes)
            guard var result = Self.parseLine(lines.head, now: now) else { return nil }
            result.message = lines.message(result.message)
            return result
        }
    }

    static func parseLine(_ b: Bytes, now: Timestamp) -> ParseResult? {
        var i = 0
        let priority = SyslogPriority.parse(b, &i)
        guard let timestamp = timestamp(b, &i, now: now) else { return nil }
        var fields = ParsedFields()
        priority?.append(to: &fields)

        // HOSTNAME, unless the next word is already the tag (local messages have no host).
        let wordEnd = b.index(of: ASCII.space, from: i)
        if wordEnd > i, b[wordEnd - 1] != ASCII.colon {
            guard wordEnd < b.count else { return nil }
            fields.append("hostname", .string(b.text(i..<wordEnd)))
            i = wordEnd + 1
        }

        // TAG[PID]: — up to 32 characters in RFC 3164; rsyslog allows more.
        let tagStart = i
        while i < b.count, b[i] > ASCII.space, b[i] != ASCII.colon, b[i] != ASCII.openBracket { i += 1 }
        var tag: (name: String, pid: String?)?
        if i > tagStart, i < b.count {
            let name = b.text(tagStart..<i)
            if b[i] == ASCII.colon {
                tag = (name, nil)
                i += 1
            } else if b[i] == ASCII.openBracket {
                let pidEnd = b.index(of: ASCII.closeBracket, from: i)
                if pidEnd + 1 < b.count, b[pidEnd + 1] == ASCII.colon, pidEnd - i > 1,
                   !b[(i + 1)..<pidEnd].contains(where: { $0 <= ASCII.space }) {
                    tag = (name, b.text((i + 1)..<pidEnd))
                    i = pidEnd + 2
                }
            }
        }
        if let tag {
            fields.append("appname", .string(tag.name))
            if let pid = tag.pid { fields.append("procid", .string(pid)) }
            if i < b.count, b[i] == ASCII.space { i += 1 }
        } else {
            guard priority != nil else { return nil }
            i = tagStart  // no tag: all of it is the message
        }
        return ParseResult(format: .syslog3164, fields: fields, timestamp: timestamp,
                           message: b.text(i..<b.count), level: priority?.level)
    }

    /// `Mmm dd hh:mm:ss ` (day padded with a space or a zero) or an RFC 3339 word;
    /// `i` ends after the following space.
    private static func timestamp(_ b: Bytes, _ i: inout Int, now: Timestamp) -> Timestamp? {
        guard i < b.count else { return nil }
        if ASCII.isDigit(b[i]) {
            let end = b.index(of: ASCII.space, from: i)
            guard end < b.count, let timestamp = CivilTime.rfc3339(b.text(i..<end)) else { return nil }
            i = end + 1
            return timestamp
        }
        guard i + 16 <= b.count, let month = CivilTime.month(b, at: i), b[i + 3] == ASCII.space,
              b[i + 6] == ASCII.space, b[i + 15] == ASCII.space,
              ASCII.isDigit(b[i + 5]), b[i + 4] == ASCII.space || ASCII.isDigit(b[i + 4]),
              let time = CivilTime.timeOfDay(b, at: i + 7)
        else { return nil }
        let tens = b[i + 4] == ASCII.space ? 0 : Int64(b[i + 4] - ASCII.zero)
        let day = tens * 10 + Int64(b[i + 5] - ASCII.zero)
        guard (1...31).contains(day) else { return nil }
        i += 16
        let latest = now.nanosecondsSinceEpoch + 86_400 * CivilTime.nanosecondsPerSecond
        let year = CivilTime.year(of: now)
        var candidate: Timestamp?
        for guess in [year + 1, year, year - 1] {
            candidate = CivilTime.timestamp(year: guess, month: month, day: day, hour: time.hour,
                                            minute: time.minute, second: time.second)
            if let candidate, candidate.nanosecondsSinceEpoch <= latest { break }
        }
        return candidate
    }
}
