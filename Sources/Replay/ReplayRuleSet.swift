import Alerting
import SluiceModel

/// The rule files of a replay and what replay derives from them: the alerting rules in
/// order (the timeline's rule order and the summaries'), the warm-up the expressions need,
/// and which expressions can be computed ahead as range queries.
public struct ReplayRuleSet: Sendable {
    /// An alerting rule's identity: names may repeat, so the expression is part of it.
    struct RuleKey: Hashable, Sendable {
        var file: String
        var group: String
        var name: String
        var expression: String
    }

    public let files: [RuleFile]
    /// Alerting rules in file, group and rule order.
    let alertingRules: [RuleKey]
    let ruleIndex: [RuleKey: Int]
    /// Expressions (with their group's interval) that read no recorded series.
    let precomputable: [PrecomputedRuleEvaluator.Job]
    /// The longest reach of any expression before its evaluation time (ms), lookback excluded.
    let reach: Int64
    /// Every group's interval, in milliseconds.
    let intervals: [Int64]

    public init(files: [RuleFile], defaultIntervalMilliseconds: Int64) {
        self.files = files
        var alerting: [RuleKey] = []
        var index: [RuleKey: Int] = [:]
        var recordedNames = Set<String>()
        for group in files.flatMap(\.groups) {
            for rule in group.rules {
                switch rule {
                case .recording(let recording):
                    recordedNames.insert(recording.name)
                case .alerting(let definition):
                    let key = RuleKey(file: group.file, group: group.name, name: definition.name, expression: definition.expression)
                    if index[key] == nil { index[key] = alerting.count }
                    alerting.append(key)
                }
            }
        }
        alertingRules = alerting
        ruleIndex = index
        var jobs: [PrecomputedRuleEvaluator.Job] = []
        var seen = Set<PrecomputedRuleEvaluator.Job>()
        var reach: Int64 = 0
        var intervals: [Int64] = []
        for group in files.flatMap(\.groups) {
            let interval = max(1, group.intervalMilliseconds ?? defaultIntervalMilliseconds)
            intervals.append(interval)
            for rule in group.rules {
                guard let footprint = ExpressionFootprint(text: rule.expression) else { continue }
                reach = max(reach, footprint.reach)
                let job = PrecomputedRuleEvaluator.Job(expression: rule.expression, interval: interval)
                if !footprint.mayRead(anyOf: recordedNames), seen.insert(job).inserted { jobs.append(job) }
            }
        }
        precomputable = jobs
        self.reach = reach
        self.intervals = intervals
    }

    /// How much data before the window's start the rules need: their longest reach plus
    /// the lookback of instant selectors.
    public func warmupMilliseconds(lookbackDelta: Int64) -> Int64 {
        reach + lookbackDelta
    }

    /// The number of rules of each kind.
    public var ruleCount: (alerting: Int, recording: Int) {
        let rules = files.flatMap(\.groups).flatMap(\.rules)
        let recording = rules.filter { if case .recording = $0 { true } else { false } }.count
        return (rules.count - recording, recording)
    }
}
