/// A normalized log level. The words are Grafana's (its logs panel colours and filters
/// by `critical, error, warning, info, debug, trace, unknown`), so events stored with
/// these values display correctly in Grafana and Loki-compatible tools.
public enum LogLevel: String, Sendable, CaseIterable {
    case critical, error, warning, info, debug, trace, unknown
}

/// Maps the many spellings of a level onto `LogLevel`.
///
/// Words (ASCII case ignored):
/// - critical: emerg, emergency, panic, dpanic (zap), alert, crit, critical, fatal, f, c,
///   and logrus's 4-letter text forms pani, fata
/// - error: err, error, eror, erro (logrus), e, severe (java.util.logging)
/// - warning: warn, warning, wrn, w
/// - info: info, inf, information, informational, notice, i, n, config (JUL)
/// - debug: debug, dbg, dbug, debu (logrus), d, fine (JUL)
/// - trace: trace, trc, trac (logrus), t, finer, finest (JUL), verbose, v
///
/// Numbers: 0…7 are syslog severities (0–2 critical, 3 error, 4 warning, 5–6 info,
/// 7 debug); 10, 20, 30, 40, 50, 60 are pino/bunyan levels (trace, debug, info, warning,
/// error, critical). Anything else is `unknown`.
public enum LevelNormalizer {
    /// Field names that carry a level, most common first.
    public static let fieldNames = ["level", "severity", "lvl", "loglevel", "log_level", "log.level"]

    /// The level of an event from its fields; nil when no level field is present.
    public static func level(in fields: ParsedFields) -> LogLevel? {
        guard let value = fields.first(namedIgnoringCase: fieldNames) else { return nil }
        return level(from: value)
    }

    /// The level one value names.
    public static func level(from value: FieldValue) -> LogLevel {
        switch value {
        case .string(let text): level(fromText: text)
        case .int(let number): level(number: number)
        case .double(let number) where number == number.rounded() && number.magnitude < 1e6:
            level(number: Int64(number))
        default: .unknown
        }
    }

    /// The level a word or number in text names (`WARN`, `Err`, `4`).
    public static func level(fromText text: String) -> LogLevel {
        let word = text.lowercased()
        if let level = words[word] { return level }
        if let number = Int64(word) { return level(number: number) }
        return .unknown
    }

    /// A syslog severity (0 emergency … 7 debug).
    public static func level(syslogSeverity: Int) -> LogLevel {
        switch syslogSeverity {
        case 0...2: .critical
        case 3: .error
        case 4: .warning
        case 5, 6: .info
        case 7: .debug
        default: .unknown
        }
    }

    static func level(number: Int64) -> LogLevel {
        switch number {
        case 0...7: level(syslogSeverity: Int(number))
        case 10: .trace
        case 20: .debug
        case 30: .info
        case 40: .warning
        case 50: .error
        case 60: .critical
        default: .unknown
        }
    }

    static let words: [String: LogLevel] = {
        var words: [String: LogLevel] = [:]
        for word in ["emerg", "emergency", "panic", "dpanic", "pani", "alert", "crit", "critical", "fatal", "fata", "f", "c"] {
            words[word] = .critical
        }
        for word in ["err", "error", "eror", "erro", "e", "severe"] { words[word] = .error }
        for word in ["warn", "warning", "wrn", "w"] { words[word] = .warning }
        for word in ["info", "inf", "information", "informational", "notice", "i", "n", "config"] { words[word] = .info }
        for word in ["debug", "dbg", "dbug", "debu", "d", "fine"] { words[word] = .debug }
        for word in ["trace", "trc", "trac", "t", "finer", "finest", "verbose", "v"] { words[word] = .trace }
        return words
    }()
}
