import Alerting
import Logging
import PromQL
import SluiceModel
import Synchronization

/// The deterministic core of a backtest: runs the rule manager in event time over samples
/// already in a buffer, from `from` to `to`, and reports every alert transition with the
/// time and value it happened at, plus per-rule summaries.
///
/// "As if live": the same `RuleManager` and state machine as `sluice serve`, evaluating
/// each group at every multiple of its interval in the window (missed iterations are not
/// skipped), over the same PromQL engine; recording rules' samples go back into the buffer
/// after each group evaluation, as the live sink writes them to the store, and run through
/// a warm-up before `from` when other rules read them. Evaluation starts with no alerts
/// held: an alert whose condition already holds at `from` becomes pending at the first
/// evaluation, as after a fresh start without a state file.
///
/// The window is evaluated in stretches (`Options.stretchMilliseconds`): for each, the
/// expressions that read no recorded series are computed ahead as range queries
/// (`PrecomputedRuleEvaluator`), then the rule manager advances through it. Transitions
/// come out per stretch, in timeline order (time, rule order, labels), so the output can be
/// streamed; the same samples and rules always give the same timeline.
///
/// Not thread-safe: one `run` at a time.
public final class ReplayEvaluator {
    public struct Options: Sendable {
        /// PromQL's lookback delta (5 minutes, as the live engine).
        public var lookbackDelta: Int64 = 300_000
        /// Interval of groups that set none (`evaluation_interval`).
        public var defaultIntervalMilliseconds: Int64 = 10_000
        public var externalLabels = Labels()
        public var externalURL = ""
        /// Event time evaluated per stretch; bounded further so that no range query has
        /// more steps than PromQL allows.
        public var stretchMilliseconds: Int64 = 4 * 3_600_000
        /// Compute expressions ahead as range queries (false: every evaluation is an
        /// instant query, as live; for comparison in tests).
        public var precompute = true

        public init() {}
    }

    /// How far evaluation has come, after each stretch.
    public struct Progress: Sendable {
        /// Evaluated up to and including this time (ms).
        public var evaluatedThrough: Int64
        public var from: Int64
        public var to: Int64

        public var fraction: Double {
            to <= from ? 1 : min(1, max(0, Double(evaluatedThrough - from) / Double(to - from)))
        }
    }

    public let rules: ReplayRuleSet
    public let options: Options
    private let source: any MetricSampleSource
    private let recordSamples: @Sendable (_ time: Int64, _ samples: [MetricSample]) -> Void

    /// `source` holds the samples (from `from` minus the rules' warm-up through `to`);
    /// `recordSamples` writes recording rules' results into it.
    public init(rules: ReplayRuleSet, source: any MetricSampleSource, options: Options = Options(),
                recordSamples: @escaping @Sendable (_ time: Int64, _ samples: [MetricSample]) -> Void) {
        self.rules = rules
        self.source = source
        self.options = options
        self.recordSamples = recordSamples
    }

    /// Evaluates `from...to` (ms, both inclusive). `onTransitions` gets each stretch's
    /// transitions in timeline order; `isCancelled` is checked between stretches.
    /// Returns the summaries of the alerting rules in rule order, and totals.
    public func run(from: Int64, to: Int64, isCancelled: () -> Bool = { false },
                    onProgress: (Progress) -> Void = { _ in },
                    onTransitions: ([ReplayTransition]) -> Void) -> (summaries: [ReplayRuleSummary], totals: ReplayEvaluationTotals) {
        let engine = PromQLEngine(source: source, lookbackDelta: options.lookbackDelta)
        let evaluator = PrecomputedRuleEvaluator(engine: engine)
        let collected = Mutex<[AlertTransition]>([])
        var configuration = RuleManager.Configuration()
        configuration.defaultIntervalMilliseconds = options.defaultIntervalMilliseconds
        configuration.externalLabels = options.externalLabels
        configuration.externalURL = options.externalURL
        configuration.evaluateMissedIterations = true
        var logger = Logger(label: "sluice.replay")
        // Failed evaluations are counted in the summaries instead of logged at every step.
        logger.logLevel = .error
        let manager = RuleManager(
            files: rules.files, evaluator: evaluator, configuration: configuration,
            sinks: RuleManagerSinks(recordedSamples: recordSamples,
                                    transitions: { transitions in collected.withLock { $0 += transitions } }),
            logger: logger)

        recordingWarmup(before: from, configuration: configuration, logger: logger, isCancelled: isCancelled)
        var summaries = SummaryBuilder(rules: rules)
        var totals = ReplayEvaluationTotals()
        evaluateStretches(manager, evaluator, jobs: rules.precomputable, from: from, to: to, isCancelled: isCancelled) { end in
            let transitions = collected.withLock { collected in
                defer { collected = [] }
                return collected
            }
            let ordered = order(transitions)
            summaries.add(ordered)
            totals.transitions += ordered.count
            if !ordered.isEmpty { onTransitions(ordered) }
            onProgress(Progress(evaluatedThrough: end, from: from, to: to))
        }
        let counters = evaluator.snapshot
        totals.evaluations = counters.evaluations
        totals.precomputed = counters.precomputed
        return (summaries.summaries(errors: counters.errors), totals)
    }

    /// Advances `manager` through `from...to` stretch by stretch, preparing each stretch's
    /// range queries first; `afterStretch` gets each stretch's end.
    private func evaluateStretches(_ manager: RuleManager, _ evaluator: PrecomputedRuleEvaluator,
                                   jobs: [PrecomputedRuleEvaluator.Job], from: Int64, to: Int64,
                                   isCancelled: () -> Bool, afterStretch: (Int64) -> Void = { _ in }) {
        let stretch = self.stretch
        var stretchStart = from
        var started = false
        while stretchStart <= to, !isCancelled() {
            // Stretches end on multiples of their length (progress reads "through 02:00:00").
            let end = min(to, PrecomputedRuleEvaluator.floor(stretchStart, stretch) + stretch)
            if options.precompute { evaluator.prepare(jobs, from: stretchStart, through: end) }
            if !started {
                // The first evaluation of each group is at the first multiple of its interval at or after `from`.
                manager.advance(to: from)
                started = true
            }
            manager.advance(to: end)
            afterStretch(end)
            if end == to { break }
            stretchStart = end + 1
        }
        evaluator.clear()
    }

    /// Live, recording rules have run all along: rules reading their output see its
    /// history. So before the window, the recording rules alone run over the warm-up
    /// (`ReplayRuleSet.recordingWarmupMilliseconds`), writing into the buffer; nothing of
    /// this is reported or counted.
    private func recordingWarmup(before from: Int64, configuration: RuleManager.Configuration, logger: Logger,
                                 isCancelled: () -> Bool) {
        let warmup = rules.recordingWarmupMilliseconds(lookbackDelta: options.lookbackDelta)
        guard warmup > 0, !rules.recordingFiles.isEmpty else { return }
        let evaluator = PrecomputedRuleEvaluator(engine: PromQLEngine(source: source, lookbackDelta: options.lookbackDelta))
        let manager = RuleManager(files: rules.recordingFiles, evaluator: evaluator, configuration: configuration,
                                  sinks: RuleManagerSinks(recordedSamples: recordSamples), logger: logger)
        let recordingExpressions = Set(rules.recordingFiles.flatMap(\.groups).flatMap(\.rules).map(\.expression))
        evaluateStretches(manager, evaluator, jobs: rules.precomputable.filter { recordingExpressions.contains($0.expression) },
                          from: from - warmup, to: from - 1, isCancelled: isCancelled)
    }

    /// Runs the whole window and collects the timeline.
    public func timeline(from: Int64, to: Int64) -> ReplayTimeline {
        var transitions: [ReplayTransition] = []
        let (summaries, totals) = run(from: from, to: to) { transitions += $0 }
        return ReplayTimeline(transitions: transitions, summaries: summaries, totals: totals)
    }

    /// The stretch length: the option, at most `maximumPointsPerSeries` steps of the
    /// shortest interval, and a whole number of the longest one where that fits.
    private var stretch: Int64 {
        let shortest = rules.intervals.min() ?? options.defaultIntervalMilliseconds
        return max(1, min(options.stretchMilliseconds, shortest * (PromQLEngine.maximumPointsPerSeries - 1)))
    }

    private func order(_ transitions: [AlertTransition]) -> [ReplayTransition] {
        let mapped = transitions.enumerated().map { position, transition -> (Int, ReplayTransition) in
            let key = ReplayRuleSet.RuleKey(file: transition.file, group: transition.group, name: transition.rule,
                                            expression: transition.expression)
            return (position, ReplayTransition(
                time: transition.time, rule: transition.rule, group: transition.group, file: transition.file,
                labels: transition.labels, from: transition.from, to: transition.to, value: transition.value,
                ruleIndex: rules.ruleIndex[key] ?? Int.max))
        }
        // The emission position breaks remaining ties, so the order never depends on the sort.
        return mapped.sorted { lhs, rhs in
            if ReplayTransition.precedes(lhs.1, rhs.1) { return true }
            if ReplayTransition.precedes(rhs.1, lhs.1) { return false }
            return lhs.0 < rhs.0
        }.map(\.1)
    }
}

/// Counts per alerting rule what its transitions amount to (see `ReplayRuleSummary`).
struct SummaryBuilder {
    private var entries: [ReplayRuleSummary]
    private let expressions: [String]
    /// Alerts (rule, labels) resolved earlier in the window.
    private var resolved = Set<AlertKey>()

    struct AlertKey: Hashable {
        var rule: Int
        var labels: Labels
    }

    init(rules: ReplayRuleSet) {
        entries = rules.alertingRules.map { ReplayRuleSummary(rule: $0.name, group: $0.group, file: $0.file) }
        expressions = rules.alertingRules.map(\.expression)
    }

    mutating func add(_ transitions: [ReplayTransition]) {
        for transition in transitions where entries.indices.contains(transition.ruleIndex) {
            let key = AlertKey(rule: transition.ruleIndex, labels: transition.labels)
            entries[transition.ruleIndex].transitions += 1
            switch transition.to {
            case .firing:
                entries[transition.ruleIndex].fired += 1
                if resolved.contains(key) { entries[transition.ruleIndex].flaps += 1 }
            case .resolved:
                entries[transition.ruleIndex].resolved += 1
                resolved.insert(key)
            case .pending, .inactive:
                break
            }
        }
    }

    func summaries(errors: [String: Int]) -> [ReplayRuleSummary] {
        zip(entries, expressions).map { entry, expression in
            var summary = entry
            summary.errors = errors[expression] ?? 0
            return summary
        }
    }
}
