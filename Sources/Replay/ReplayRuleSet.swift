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
    /// Of the expressions reading recorded series (nil: there are none), and of the
    /// recording rules' expressions: how far back they reach.
    let recordedReach: Int64?
    let recordingReach: Int64
    /// The recording rules alone (groups without any left out), run through a warm-up
    /// before the window so that rules reading their output see a history, as live.
    let recordingFiles: [RuleFile]
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
        var recordedReach: Int64?
        var recordingReach: Int64 = 0
        var intervals: [Int64] = []
        for group in files.flatMap(\.groups) {
            let interval = max(1, group.intervalMilliseconds ?? defaultIntervalMilliseconds)
            intervals.append(interval)
            for rule in group.rules {
                guard let footprint = ExpressionFootprint(text: rule.expression) else { continue }
                reach = max(reach, footprint.reach)
                if case .recording = rule { recordingReach = max(recordingReach, footprint.reach) }
                let job = PrecomputedRuleEvaluator.Job(expression: rule.expression, interval: interval)
                if footprint.mayRead(anyOf: recordedNames) {
                    recordedReach = max(recordedReach ?? 0, footprint.reach)
                } else if seen.insert(job).inserted {
                    jobs.append(job)
                }
            }
        }
        precomputable = jobs
        self.reach = reach
        self.recordedReach = recordedReach
        self.recordingReach = recordingReach
        self.intervals = intervals
        recordingFiles = files.map { file in
            var recording = file
            recording.groups = file.groups.compactMap { group in
                var kept = group
                kept.rules = group.rules.filter { if case .recording = $0 { true } else { false } }
                return kept.rules.isEmpty ? nil : kept
            }
            return recording
        }.filter { !$0.groups.isEmpty }
    }

    /// How long before the window the recording rules run so that the rules reading their
    /// output have as much of it as they reach for (0 when no rule reads recorded series).
    public func recordingWarmupMilliseconds(lookbackDelta: Int64) -> Int64 {
        recordedReach.map { $0 + lookbackDelta } ?? 0
    }

    /// How much data before the window's start the rules need: their longest reach plus
    /// the lookback of instant selectors, and for recording rules run in the warm-up, that
    /// much before the warm-up's start.
    public func warmupMilliseconds(lookbackDelta: Int64) -> Int64 {
        let recording = recordingWarmupMilliseconds(lookbackDelta: lookbackDelta)
        return max(reach + lookbackDelta, recording > 0 ? recording + recordingReach + lookbackDelta : 0)
    }

    /// The number of rules of each kind.
    public var ruleCount: (alerting: Int, recording: Int) {
        let rules = files.flatMap(\.groups).flatMap(\.rules)
        let recording = rules.filter { if case .recording = $0 { true } else { false } }.count
        return (rules.count - recording, recording)
    }
}
