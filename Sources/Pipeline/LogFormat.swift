/// The line formats the parse step knows. Raw values are the names a pipeline
/// configuration uses.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One JSON object per line (zap, logrus, slog, pino, logstash encoders).
    case json
    /// `key=value key2="quoted"` as Go's logfmt writes it.
    case logfmt
    /// RFC 5424 syslog: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`.
    case syslog5424 = "rfc5424"
    /// BSD syslog (RFC 3164) and the traditional file format rsyslog/syslog-ng write.
    case syslog3164 = "rfc3164"
    /// nginx's default `combined` format, identical to Apache's combined log format.
    case nginxCombined = "combined"
    /// The NCSA common log format (Apache `common`, nginx without referer and agent).
    case commonLog = "common"
    /// A user-supplied regular expression with named captures.
    case regex

    /// The parser for this format, or nil for `.regex`, which needs a pattern.
    public func makeParser() -> (any LogParser)? {
        switch self {
        case .json: JSONLogParser()
        case .logfmt: LogfmtParser()
        case .syslog5424: Syslog5424Parser()
        case .syslog3164: Syslog3164Parser()
        case .nginxCombined, .commonLog: AccessLogParser()
        case .regex: nil
        }
    }
}
