import Alerting
import SluiceModel

/// One alert changing state during a replay, at its evaluation time (event time).
public struct ReplayTransition: Sendable, Equatable {
    /// Milliseconds since the epoch: the evaluation time of the change.
    public var time: Int64
    public var rule: String
    public var group: String
    public var file: String
    /// The alert's labels (the result's, the rule's, and `alertname`).
    public var labels: Labels
    public var from: AlertState
    public var to: AlertState
    public var value: Double
    /// The rule's position among all alerting rules, in file, group and rule order: the
    /// second sort key of a timeline after the time.
    public var ruleIndex: Int

    public init(time: Int64, rule: String, group: String, file: String, labels: Labels, from: AlertState,
                to: AlertState, value: Double, ruleIndex: Int) {
        self.time = time
        self.rule = rule
        self.group = group
        self.file = file
        self.labels = labels
        self.from = from
        self.to = to
        self.value = value
        self.ruleIndex = ruleIndex
    }

    public static func == (lhs: ReplayTransition, rhs: ReplayTransition) -> Bool {
        lhs.time == rhs.time && lhs.rule == rhs.rule && lhs.group == rhs.group && lhs.file == rhs.file
            && lhs.labels == rhs.labels && lhs.from == rhs.from && lhs.to == rhs.to && lhs.ruleIndex == rhs.ruleIndex
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }

    /// The timeline's order: time, then rule order, then labels.
    static func precedes(_ lhs: ReplayTransition, _ rhs: ReplayTransition) -> Bool {
        if lhs.time != rhs.time { return lhs.time < rhs.time }
        if lhs.ruleIndex != rhs.ruleIndex { return lhs.ruleIndex < rhs.ruleIndex }
        return labelsPrecede(lhs.labels, rhs.labels)
    }

    /// Pairwise by name then value, bytewise, then by length (Prometheus's `labels.Compare`).
    static func labelsPrecede(_ lhs: Labels, _ rhs: Labels) -> Bool {
        let a = lhs.pairs, b = rhs.pairs
        for index in 0..<min(a.count, b.count) {
            if a[index].name != b[index].name { return a[index].name.utf8.lexicographicallyPrecedes(b[index].name.utf8) }
            if a[index].value != b[index].value { return a[index].value.utf8.lexicographicallyPrecedes(b[index].value.utf8) }
        }
        return a.count < b.count
    }
}

/// What one alerting rule did over a replay's window.
///
/// - `fired`: transitions into `firing`.
/// - `flaps`: transitions into `firing` of an alert (same labels) that had already been
///   resolved earlier in the window: how often the rule would have paged again for
///   something it had just called over. `keep_firing_for` bridges a short dip without
///   resolving, so it is not a flap.
public struct ReplayRuleSummary: Sendable, Equatable {
    public var rule: String
    public var group: String
    public var file: String
    public var transitions = 0
    public var fired = 0
    public var resolved = 0
    public var flaps = 0
    /// Evaluations of the rule's expression that failed (the rule manager skips them, as live).
    public var errors = 0

    public init(rule: String, group: String, file: String) {
        self.rule = rule
        self.group = group
        self.file = file
    }
}

/// Totals of a replay's evaluation, deterministic for a given input (no wall-clock times).
public struct ReplayEvaluationTotals: Sendable, Equatable {
    /// Rule evaluations (one rule at one evaluation time).
    public var evaluations = 0
    /// Of those, answered from a range query computed ahead.
    public var precomputed = 0
    public var transitions = 0

    public init() {}
}

/// A whole replay's result, for tests and callers that do not stream.
public struct ReplayTimeline: Sendable, Equatable {
    public var transitions: [ReplayTransition]
    public var summaries: [ReplayRuleSummary]
    public var totals: ReplayEvaluationTotals
}
