/// A syslog `<PRI>`: facility × 8 + severity (RFC 5424 §6.2.1). Fields carry the names
/// rsyslog and Vector use (`auth`, `local4`; `err`, `notice`), which read better in
/// queries than numbers; `level` carries the normalized severity.
struct SyslogPriority {
    let facility: Int
    let severity: Int

    static let facilityNames = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
                                "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
                                "solaris-cron", "local0", "local1", "local2", "local3", "local4",
                                "local5", "local6", "local7"]
    static let severityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    /// `<PRI>` at `i` (1–3 digits, at most 191); `i` ends after `>`.
    static func parse(_ b: Bytes, _ i: inout Int) -> SyslogPriority? {
        guard i < b.count, b[i] == ASCII.less else { return nil }
        let start = i + 1
        var end = start
        while end < b.count, end - start < 3, ASCII.isDigit(b[end]) { end += 1 }
        guard end < b.count, b[end] == ASCII.greater, let value = b.decimal(start..<end), value <= 191,
              end - start == 1 || b[start] != ASCII.zero else { return nil }
        i = end + 1
        return SyslogPriority(facility: Int(value / 8), severity: Int(value % 8))
    }

    func append(to fields: inout ParsedFields) {
        fields.append("facility", .string(Self.facilityNames[facility]))
        fields.append("severity", .string(Self.severityNames[severity]))
    }

    var level: LogLevel { LevelNormalizer.level(syslogSeverity: severity) }
}
