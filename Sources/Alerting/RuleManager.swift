import Logging
import SluiceModel
import Synchronization

/// What the rule manager hands out. Each closure is called on the evaluating thread, in
/// evaluation order, outside the manager's lock.
public struct RuleManagerSinks: Sendable {
    /// Samples of recording rules at one evaluation time (ms), stale markers
    /// (`StaleMarker.value`) included for series a rule stopped producing.
    public var recordedSamples: @Sendable (_ time: Int64, _ samples: [MetricSample]) -> Void
    /// Every alert state change (for the `alerts` topic and the webhook notifier).
    public var transitions: @Sendable ([AlertTransition]) -> Void
    /// Alerts due for (re)sending to Alertmanager (Prometheus's `sendAlerts`).
    public var notifications: @Sendable ([AlertNotification]) -> Void

    public init(recordedSamples: @escaping @Sendable (_ time: Int64, _ samples: [MetricSample]) -> Void = { _, _ in },
                transitions: @escaping @Sendable ([AlertTransition]) -> Void = { _ in },
                notifications: @escaping @Sendable ([AlertNotification]) -> Void = { _ in }) {
        self.recordedSamples = recordedSamples
        self.transitions = transitions
        self.notifications = notifications
    }
}

/// An alert as Alertmanager receives it (`POST /api/v2/alerts`).
public struct AlertNotification: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    /// `firedAt` of the alert.
    public var startsAt: Int64
    /// The resolution time, or for a firing alert the time until which it is valid.
    public var endsAt: Int64
    public var generatorURL: String
    public var isResolved: Bool

    public init(labels: Labels, annotations: Labels, startsAt: Int64, endsAt: Int64, generatorURL: String, isResolved: Bool) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
        self.isResolved = isResolved
    }
}

/// How a rule fared at its last evaluation (`/api/v1/rules`).
public enum RuleHealth: String, Sendable {
    case unknown, ok, err
}

/// Runs rule groups: each group is evaluated at every multiple of its interval (its
/// evaluation times are `k × interval` ms, so they do not depend on when Sluice started),
/// its rules one after the other. Time comes from the caller: `advance(to:)` runs every
/// evaluation due up to a time, so tests and replay step through time without sleeping,
/// and `run(scheduler:)` does the same live.
///
/// Thread-safety: all methods may be called from any thread; evaluations are serialised,
/// and the API bodies read a consistent state under the lock.
public final class RuleManager: Sendable {
    public struct Configuration: Sendable {
        /// Interval of groups that set none (Prometheus's `evaluation_interval`); 10 s.
        public var defaultIntervalMilliseconds: Int64 = 10_000
        public var externalLabels = Labels()
        /// Sluice's external URL: `$externalURL` and the base of `generatorURL`.
        public var externalURL = ""
        /// Prometheus's resend delay: a firing alert is sent to Alertmanager again this often.
        public var resendDelayMilliseconds: Int64 = 60_000
        /// Where active alerts are kept across restarts; nil keeps them in memory only.
        public var snapshotPath: String?
        /// After a pause longer than an interval: evaluate only the latest due time (live,
        /// as Prometheus skips missed iterations) or every missed one (replay).
        public var evaluateMissedIterations = false

        public init() {}
    }

    struct RuleRuntime {
        var definition: RuleDefinition
        var machine: AlertingRuleStateMachine?
        var health = RuleHealth.unknown
        var lastError = ""
        var evaluationSeconds = 0.0
        var lastEvaluation: Int64?
        /// Recording rules: the series written last time, for stale markers.
        var previousSeries = Set<Labels>()
    }

    struct GroupRuntime {
        var definition: RuleGroupDefinition
        var interval: Int64
        var rules: [RuleRuntime]
        var nextEvaluation: Int64?
        var evaluationSeconds = 0.0
        var lastEvaluation: Int64?
    }

    struct State {
        var groups: [GroupRuntime]
    }

    let state: Mutex<State>
    /// Serialises evaluations, so sinks see them in order.
    private let evaluationGate = Mutex(())
    public let configuration: Configuration
    let evaluator: any RuleExpressionEvaluator
    let sinks: RuleManagerSinks
    let logger: Logger

    public init(files: [RuleFile], evaluator: any RuleExpressionEvaluator, configuration: Configuration = Configuration(),
                sinks: RuleManagerSinks = RuleManagerSinks(), logger: Logger = Logger(label: "sluice.alerting")) {
        self.configuration = configuration
        self.evaluator = evaluator
        self.sinks = sinks
        self.logger = logger
        let groups = files.flatMap(\.groups).map { group in
            let interval = max(1, group.intervalMilliseconds ?? configuration.defaultIntervalMilliseconds)
            let rules = group.rules.map { rule -> RuleRuntime in
                var runtime = RuleRuntime(definition: rule)
                if case .alerting(let alerting) = rule {
                    runtime.machine = AlertingRuleStateMachine(
                        rule: alerting, group: group.name, file: group.file,
                        externalLabels: configuration.externalLabels, externalURL: configuration.externalURL)
                }
                return runtime
            }
            return GroupRuntime(definition: group, interval: interval, rules: rules)
        }
        state = Mutex(State(groups: groups))
    }

    /// The earliest time at which some group is due, or nil before the first `advance`.
    public var nextEvaluationTime: Int64? {
        state.withLock { $0.groups.compactMap(\.nextEvaluation).min() }
    }

    /// Runs every evaluation due at or before `now` (ms), in time order (groups due at
    /// the same time in file order). A group's first evaluation is at the first multiple
    /// of its interval at or after the first `now` it sees.
    public func advance(to now: Int64) {
        evaluationGate.withLock { _ in
            while let (index, time) = nextDue(now: now) {
                evaluate(groupAt: index, time: time)
            }
        }
    }

    private func nextDue(now: Int64) -> (Int, Int64)? {
        state.withLock { state in
            var best: (Int, Int64)?
            for index in state.groups.indices {
                let interval = state.groups[index].interval
                if state.groups[index].nextEvaluation == nil {
                    state.groups[index].nextEvaluation = Self.ceiling(now, interval)
                }
                guard var next = state.groups[index].nextEvaluation, next <= now else { continue }
                if !configuration.evaluateMissedIterations {
                    // Skip missed iterations: only the latest due time is evaluated.
                    next = Self.floor(now, interval)
                    state.groups[index].nextEvaluation = next
                }
                if let current = best, current.1 <= next { continue }
                best = (index, next)
            }
            return best
        }
    }

    static func floor(_ value: Int64, _ interval: Int64) -> Int64 {
        let quotient = value / interval
        return (value % interval != 0 && value < 0 ? quotient - 1 : quotient) * interval
    }

    static func ceiling(_ value: Int64, _ interval: Int64) -> Int64 {
        let down = floor(value, interval)
        return down == value ? value : down + interval
    }

    /// Evaluates one group at `time` and hands the results to the sinks.
    private func evaluate(groupAt index: Int, time: Int64) {
        let (definition, rules, interval) = state.withLock { state in
            state.groups[index].nextEvaluation = time + state.groups[index].interval
            return (state.groups[index].definition, state.groups[index].rules, state.groups[index].interval)
        }
        let groupStart = ContinuousClock.now
        var updated = rules
        var recorded: [MetricSample] = []
        var transitions: [AlertTransition] = []
        var notifications: [AlertNotification] = []
        var stateChanged = false
        for ruleIndex in updated.indices {
            let ruleStart = ContinuousClock.now
            var rule = updated[ruleIndex]
            do {
                let result = try evaluator.evaluate(rule.definition.expression, at: time)
                switch rule.definition {
                case .recording(let recording):
                    let samples = try Self.record(recording, result: result, limit: definition.limit)
                    var series = Set<Labels>()
                    for sample in samples {
                        series.insert(sample.labels)
                        recorded.append(sample)
                    }
                    // Series the rule no longer produces get a stale marker, as in Prometheus.
                    for gone in rule.previousSeries.subtracting(series).sorted(by: Labels.precedes) {
                        var labels = gone
                        let name = labels["__name__"] ?? recording.name
                        labels["__name__"] = nil
                        recorded.append(MetricSample(name: name, labels: labels, value: StaleMarker.value))
                    }
                    rule.previousSeries = series
                case .alerting:
                    guard var machine = rule.machine else { break }
                    let heldBefore = machine.alerts.count
                    let outcome: AlertingRuleStateMachine.Outcome
                    do { outcome = try machine.apply(result, at: time, limit: definition.limit, evaluator: evaluator) } catch {
                        // An exceeded limit clears the rule's alerts (as in Prometheus): keep that.
                        rule.machine = machine
                        if machine.alerts.count != heldBefore { stateChanged = true }
                        throw error
                    }
                    transitions += outcome.transitions
                    let due = machine.alertsToSend(at: time, resendDelay: configuration.resendDelayMilliseconds,
                                                   interval: interval)
                    notifications += due.map { notification(for: $0, expression: rule.definition.expression) }
                    stateChanged = stateChanged || outcome.stateChanged || !due.isEmpty
                    rule.machine = machine
                }
                rule.health = .ok
                rule.lastError = ""
            } catch {
                rule.health = .err
                rule.lastError = "\(error)"
                logger.warning("evaluating rule failed", metadata: [
                    "group": "\(definition.name)", "rule": "\(rule.definition.name)", "error": "\(error)",
                ])
            }
            rule.lastEvaluation = time
            rule.evaluationSeconds = Self.seconds(ContinuousClock.now - ruleStart)
            updated[ruleIndex] = rule
        }
        let groupSeconds = Self.seconds(ContinuousClock.now - groupStart)
        state.withLock { state in
            state.groups[index].rules = updated
            state.groups[index].lastEvaluation = time
            state.groups[index].evaluationSeconds = groupSeconds
        }
        if !recorded.isEmpty { sinks.recordedSamples(time, recorded) }
        if stateChanged { saveSnapshot(at: time) }
        if !transitions.isEmpty { sinks.transitions(transitions) }
        if !notifications.isEmpty { sinks.notifications(notifications) }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Prometheus's recording rule: the result under the rule's name with its labels; two
    /// samples with one label set, or more than `limit`, is an error.
    static func record(_ rule: RecordingRuleDefinition, result: [(labels: Labels, value: Double)], limit: Int) throws -> [MetricSample] {
        var seen = Set<Labels>()
        var samples: [MetricSample] = []
        for sample in result {
            var labels = sample.labels
            labels["__name__"] = rule.name
            for pair in rule.labels { labels[pair.name] = pair.value.isEmpty ? nil : pair.value }
            guard seen.insert(labels).inserted else {
                throw AlertingRuleStateMachine.EvaluationError(
                    message: "vector contains metrics with the same labelset after applying rule labels")
            }
            labels["__name__"] = nil
            samples.append(MetricSample(name: rule.name, labels: labels, value: sample.value))
        }
        if limit > 0, samples.count > limit {
            throw AlertingRuleStateMachine.EvaluationError(message: "exceeded limit of \(limit) with \(samples.count) series")
        }
        return samples
    }

    func notification(for alert: Alert, expression: String) -> AlertNotification {
        var labels = alert.labels
        // External labels are added where the alert has no label of that name (Prometheus's notifier).
        for pair in configuration.externalLabels where labels[pair.name] == nil { labels[pair.name] = pair.value }
        return AlertNotification(
            labels: labels, annotations: alert.annotations, startsAt: alert.firedAt ?? alert.activeAt,
            endsAt: alert.resolvedAt ?? alert.validUntil ?? alert.activeAt,
            generatorURL: Self.generatorURL(externalURL: configuration.externalURL, expression: expression),
            isResolved: alert.state == .resolved)
    }

    /// Prometheus's `generatorURL`: the expression's table view under the external URL.
    public static func generatorURL(externalURL: String, expression: String) -> String {
        let base = externalURL.hasSuffix("/") ? String(externalURL.dropLast()) : externalURL
        return base + "/graph?g0.expr=" + TemplateFunctions.queryEscape(expression) + "&g0.tab=1"
    }

    // MARK: Running live

    /// Evaluates groups as their times come, until the task is cancelled.
    public func run(clock: any AlertingClock = SystemAlertingClock(),
                    scheduler: any AlertingScheduler = TaskSleepScheduler()) async throws {
        while !Task.isCancelled {
            advance(to: clock.nowMilliseconds())
            guard let next = nextEvaluationTime else { return }
            try await scheduler.sleep(untilMilliseconds: next, clock: clock)
        }
    }
}

/// How the live loop waits for the next evaluation time; injected so tests need not sleep.
public protocol AlertingScheduler: Sendable {
    func sleep(untilMilliseconds deadline: Int64, clock: any AlertingClock) async throws
}

/// Sleeps with `Task.sleep` until the clock reaches the deadline.
public struct TaskSleepScheduler: AlertingScheduler {
    public init() {}

    public func sleep(untilMilliseconds deadline: Int64, clock: any AlertingClock) async throws {
        let remaining = deadline - clock.nowMilliseconds()
        if remaining > 0 { try await Task.sleep(for: .milliseconds(remaining)) }
    }
}
