import SluiceModel

/// The alerts of one alerting rule and how an evaluation result moves them, as
/// Prometheus's `AlertingRule.Eval` (rules/alerting.go, v2.42) does:
///
/// - a label set new in the result becomes `pending` with `activeAt` = now (or
///   `firing` at once when `for` is 0); a resolved alert whose label set comes back is
///   replaced by a new one, so it goes through `for` again;
/// - a pending alert that has been active for `for` fires (`firedAt` = now);
/// - a label set gone from the result: a pending alert is deleted; a firing one keeps
///   firing for `keep_firing_for` counted from the first evaluation it was missing, then
///   is resolved (`resolvedAt` = now) and kept 15 minutes so Alertmanager hears of it;
/// - the alert's labels are the result's minus `__name__`, plus the rule's (expanded)
///   labels, plus `alertname`; annotations are re-expanded at every evaluation.
///
/// Pure: no clock, no I/O; the caller passes the evaluation time and the result.
public struct AlertingRuleStateMachine: Sendable {
    public let rule: AlertingRuleDefinition
    public let group: String
    public let file: String
    public var externalLabels: Labels
    public var externalURL: String
    /// The alerts by label set: pending, firing, and resolved within the retention.
    public private(set) var alerts: [Labels: Alert] = [:]

    /// Prometheus's `resolvedRetention`.
    public static let resolvedRetentionMilliseconds: Int64 = 15 * 60 * 1000

    public init(rule: AlertingRuleDefinition, group: String, file: String,
                externalLabels: Labels = Labels(), externalURL: String = "") {
        self.rule = rule
        self.group = group
        self.file = file
        self.externalLabels = externalLabels
        self.externalURL = externalURL
    }

    /// An evaluation that cannot be applied: the result would give two alerts one label
    /// set, or more alerts than the group's limit.
    public struct EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// What one evaluation changed.
    public struct Outcome: Sendable {
        public var transitions: [AlertTransition] = []
        /// True when something a restart must not lose changed (not only values and annotations).
        public var stateChanged = false
    }

    /// Applies the expression's result at `time`. On error the alerts are as before,
    /// except for an exceeded limit, which (as in Prometheus) clears them all.
    public mutating func apply(_ result: [(labels: Labels, value: Double)], at time: Int64, limit: Int = 0,
                               evaluator: (any RuleExpressionEvaluator)? = nil) throws(EvaluationError) -> Outcome {
        var fresh: [Labels: Alert] = [:]
        var freshOrder: [Labels] = []
        for sample in result {
            let data = AlertTemplate.Data(labels: sample.labels, value: sample.value, externalLabels: externalLabels,
                                          externalURL: externalURL, evaluator: evaluator, time: time)
            var labels = sample.labels
            labels["__name__"] = nil
            for entry in rule.labels {
                let expanded = entry.template.expand(data)
                labels[entry.name] = expanded.isEmpty ? nil : expanded
            }
            labels["alertname"] = rule.name
            let annotations = Labels(unsortedPairs: rule.annotations.map { ($0.name, $0.template.expand(data)) })
            guard fresh[labels] == nil else {
                throw EvaluationError(message: "vector contains metrics with the same labelset after applying alert labels")
            }
            fresh[labels] = Alert(labels: labels, annotations: annotations, state: .pending, value: sample.value, activeAt: time)
            freshOrder.append(labels)
        }

        let previous = alerts
        var stateChanged = false
        for labels in freshOrder {
            guard let alert = fresh[labels] else { continue }
            if var existing = alerts[labels], existing.state != .resolved {
                existing.value = alert.value
                existing.annotations = alert.annotations
                alerts[labels] = existing
            } else {
                alerts[labels] = alert
                stateChanged = true
            }
        }

        var activeOrPending = 0
        var keys = Array(alerts.keys)
        keys.sort(by: Labels.precedes)
        for labels in keys {
            guard var alert = alerts[labels] else { continue }
            if fresh[labels] == nil {
                var keepFiring = false
                if alert.state == .firing, rule.keepFiringForMilliseconds > 0 {
                    if alert.keepFiringSince == nil {
                        alert.keepFiringSince = time
                        stateChanged = true
                    }
                    if let since = alert.keepFiringSince, time - since < rule.keepFiringForMilliseconds { keepFiring = true }
                }
                if alert.state == .pending
                    || (alert.resolvedAt.map { time - $0 > Self.resolvedRetentionMilliseconds } ?? false) {
                    alerts[labels] = nil
                    stateChanged = true
                    continue
                }
                if alert.state != .resolved, !keepFiring {
                    alert.state = .resolved
                    alert.resolvedAt = time
                    stateChanged = true
                }
                alerts[labels] = alert
                if !keepFiring { continue }
            } else if alert.keepFiringSince != nil {
                alert.keepFiringSince = nil
                stateChanged = true
            }
            activeOrPending += 1
            if alert.state == .pending, time - alert.activeAt >= rule.holdMilliseconds {
                alert.state = .firing
                alert.firedAt = time
                stateChanged = true
            }
            alerts[labels] = alert
        }

        if limit > 0, activeOrPending > limit {
            alerts = [:]
            throw EvaluationError(message: "exceeded limit of \(limit) with \(activeOrPending) alerts")
        }

        var outcome = Outcome(stateChanged: stateChanged)
        let touched = Set(previous.keys).union(alerts.keys).sorted(by: Labels.precedes)
        for labels in touched {
            let from = previous[labels]?.state ?? .inactive
            let current = alerts[labels]
            let to = current?.state ?? .inactive
            // A resolved alert ageing out is no news.
            guard from != to, !(from == .resolved && to == .inactive) else { continue }
            // A deleted pending alert is described as it last was.
            guard let alert = current ?? previous[labels] else { continue }
            outcome.transitions.append(AlertTransition(
                group: group, file: file, rule: rule.name, labels: labels, annotations: alert.annotations,
                from: from, to: to, value: alert.value, time: time, activeAt: alert.activeAt, firedAt: alert.firedAt,
                expression: rule.expression))
        }
        return outcome
    }

    /// Prometheus's `sendAlerts`: the alerts due for (re)sending to Alertmanager at `time`,
    /// marked as sent; each firing one valid until 4 × max(resend delay, interval) from now.
    public mutating func alertsToSend(at time: Int64, resendDelay: Int64, interval: Int64) -> [Alert] {
        var due: [Alert] = []
        for labels in alerts.keys.sorted(by: Labels.precedes) {
            guard var alert = alerts[labels], alert.needsSending(at: time, resendDelay: resendDelay) else { continue }
            alert.lastSentAt = time
            alert.validUntil = time + 4 * max(resendDelay, interval)
            alerts[labels] = alert
            due.append(alert)
        }
        return due
    }

    /// The rule's state: its highest alert state (Prometheus's `AlertingRule.State`).
    public var state: AlertState {
        alerts.values.map(\.state).max() ?? .inactive
    }

    /// Pending and firing alerts (not the resolved ones), in label order.
    public var activeAlerts: [Alert] {
        alerts.values.filter { $0.state == .pending || $0.state == .firing }.sorted { Labels.precedes($0.labels, $1.labels) }
    }

    /// Every alert held, resolved ones included, in label order.
    public var allAlerts: [Alert] {
        alerts.values.sorted { Labels.precedes($0.labels, $1.labels) }
    }

    /// Puts back alerts from a snapshot (after a restart), replacing what is held.
    public mutating func restore(_ restored: [Alert]) {
        alerts = Dictionary(restored.map { ($0.labels, $0) }, uniquingKeysWith: { _, last in last })
    }
}
