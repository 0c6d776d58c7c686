import SluiceModel

/// One rule file as loaded: its groups in file order.
public struct RuleFile: Sendable {
    public var path: String
    public var groups: [RuleGroupDefinition]

    public init(path: String, groups: [RuleGroupDefinition]) {
        self.path = path
        self.groups = groups
    }
}

/// A group of rules evaluated one after the other at each interval.
public struct RuleGroupDefinition: Sendable {
    public var name: String
    /// The file the group came from (Prometheus's `file` in `/api/v1/rules`).
    public var file: String
    /// The group's own `interval`, or nil to use the configured default.
    public var intervalMilliseconds: Int64?
    /// Prometheus's `limit`: more alerts (or recorded series) than this from one rule is
    /// an evaluation error; 0 means no limit.
    public var limit: Int
    public var rules: [RuleDefinition]

    public init(name: String, file: String, intervalMilliseconds: Int64? = nil, limit: Int = 0, rules: [RuleDefinition]) {
        self.name = name
        self.file = file
        self.intervalMilliseconds = intervalMilliseconds
        self.limit = limit
        self.rules = rules
    }
}

/// A rule: alerting (`alert:`) or recording (`record:`).
public enum RuleDefinition: Sendable {
    case alerting(AlertingRuleDefinition)
    case recording(RecordingRuleDefinition)

    public var name: String {
        switch self {
        case .alerting(let rule): rule.name
        case .recording(let rule): rule.name
        }
    }

    public var expression: String {
        switch self {
        case .alerting(let rule): rule.expression
        case .recording(let rule): rule.expression
        }
    }
}

/// `alert`, `expr`, `for`, `keep_firing_for`, `labels`, `annotations`.
public struct AlertingRuleDefinition: Sendable {
    public var name: String
    public var expression: String
    /// How long a label set must stay in the result before its alert fires (`for`).
    public var holdMilliseconds: Int64
    /// How long a firing alert keeps firing after its condition stops (`keep_firing_for`).
    public var keepFiringForMilliseconds: Int64
    /// The rule's labels as written (templates not expanded), in name order.
    public var labels: [(name: String, template: AlertTemplate)]
    public var annotations: [(name: String, template: AlertTemplate)]

    public init(name: String, expression: String, holdMilliseconds: Int64 = 0, keepFiringForMilliseconds: Int64 = 0,
                labels: [(name: String, template: AlertTemplate)] = [],
                annotations: [(name: String, template: AlertTemplate)] = []) {
        self.name = name
        self.expression = expression
        self.holdMilliseconds = holdMilliseconds
        self.keepFiringForMilliseconds = keepFiringForMilliseconds
        self.labels = labels.sorted { $0.name < $1.name }
        self.annotations = annotations.sorted { $0.name < $1.name }
    }

    /// The labels as written, as a label set.
    public var rawLabels: Labels { Labels(unsortedPairs: labels.map { ($0.name, $0.template.source) }) }
    public var rawAnnotations: Labels { Labels(unsortedPairs: annotations.map { ($0.name, $0.template.source) }) }
}

/// `record`, `expr`, `labels`: the result of `expr` stored under the name `record`.
public struct RecordingRuleDefinition: Sendable {
    public var name: String
    public var expression: String
    public var labels: Labels

    public init(name: String, expression: String, labels: Labels = Labels()) {
        self.name = name
        self.expression = expression
        self.labels = labels
    }
}

/// Prometheus's name rules.
enum PrometheusNames {
    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetterOrUnderscore(first) else { return false }
        return name.utf8.allSatisfy { isLetterOrUnderscore($0) || isDigit($0) }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetterOrUnderscore(first) || first == UInt8(ascii: ":") else { return false }
        return name.utf8.allSatisfy { isLetterOrUnderscore($0) || isDigit($0) || $0 == UInt8(ascii: ":") }
    }

    private static func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
