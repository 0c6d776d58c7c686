import SluiceModel

/// A log query: a stream selector and the stages every selected entry passes through.
public struct LogQLLogQuery: Sendable, CustomStringConvertible {
    public var matchers: [LabelMatcher]
    public var stages: [LogQLStage]

    public init(matchers: [LabelMatcher], stages: [LogQLStage]) {
        self.matchers = matchers
        self.stages = stages
    }

    public var description: String {
        var text = "{" + matchers.map(LogQLText.matcher).joined(separator: ", ") + "}"
        for stage in stages { text += " " + stage.description }
        return text
    }
}

/// One pipeline stage.
public enum LogQLStage: Sendable, CustomStringConvertible {
    case lineFilter(LogQLLineFilter)
    case json
    case logfmt
    case regexp(LogQLRegexpParser)
    case labelFilter(LogQLLabelFilter)
    case lineFormat(LogQLLineTemplate)

    public var description: String {
        switch self {
        case .lineFilter(let filter): return filter.description
        case .json: return "| json"
        case .logfmt: return "| logfmt"
        case .regexp(let parser): return "| regexp \(LogQLText.quote(parser.pattern))"
        case .labelFilter(let filter): return "| \(filter)"
        case .lineFormat(let template): return "| line_format \(LogQLText.quote(template.source))"
        }
    }

    /// Whether the stage adds labels from the line.
    var isParser: Bool {
        switch self {
        case .json, .logfmt, .regexp: return true
        default: return false
        }
    }
}

/// `|= "s"`, `!= "s"`, `|~ "re"`, `!~ "re"`: byte substring or unanchored regex search.
public struct LogQLLineFilter: Sendable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case contains = "|="
        case notContains = "!="
        case matches = "|~"
        case notMatches = "!~"
    }

    public var op: Operator
    public var pattern: String
    let regex: Regex<AnyRegexOutput>?
    /// The pattern's UTF-8 bytes, for substring search.
    let needle: [UInt8]
    /// A regex without metacharacters (`|~ "timeout"`) matches exactly where its text
    /// occurs: searched as bytes, it costs a memchr scan instead of a regex run per line.
    let isLiteralRegex: Bool

    init(op: Operator, pattern: String, regex: Regex<AnyRegexOutput>?) {
        self.op = op
        self.pattern = pattern
        self.regex = regex
        needle = Array(pattern.utf8)
        isLiteralRegex = !needle.isEmpty && !needle.contains { Array(#"\.^$|?*+()[]{}"#.utf8).contains($0) }
    }

    public var description: String { "\(op.rawValue) \(LogQLText.quote(pattern))" }
}

/// `| regexp "(?P<name>…)"`: named groups of the first match become labels.
public struct LogQLRegexpParser: Sendable {
    /// The pattern as written in the query.
    public var pattern: String
    /// The named groups, in pattern order.
    public var names: [String]
    let regex: Regex<AnyRegexOutput>
}
