import SluiceModel

/// Where one alert stands. Prometheus has three states and marks a resolved alert as
/// inactive with a resolution time; Sluice names that fourth phase, because a resolved
/// alert is kept (and re-sent to Alertmanager) for 15 minutes while a never-firing one is not.
public enum AlertState: String, Sendable, Hashable, Comparable {
    case inactive, pending, firing, resolved

    /// Prometheus's name for the state in its API (`resolved` is `inactive` there).
    public var prometheusName: String { self == .resolved ? "inactive" : rawValue }

    private var rank: Int {
        switch self {
        case .inactive, .resolved: 0
        case .pending: 1
        case .firing: 2
        }
    }

    /// firing > pending > inactive/resolved, as Prometheus orders a rule's state.
    public static func < (lhs: AlertState, rhs: AlertState) -> Bool { lhs.rank < rhs.rank }
}

/// One alert of an alerting rule: one label set of its expression's result. Times are
/// milliseconds since the epoch (the evaluation times at which things happened).
public struct Alert: Sendable, Equatable {
    /// Expression labels without `__name__`, plus the rule's (expanded) labels and `alertname`.
    public var labels: Labels
    public var annotations: Labels
    public var state: AlertState
    /// The expression's value at the last evaluation that returned this label set.
    public var value: Double
    /// When the condition started to hold (the pending timer starts here).
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    /// When the alert was last handed to the Alertmanager notifier.
    public var lastSentAt: Int64?
    /// The `endsAt` sent for a firing alert: if Sluice stops re-sending, Alertmanager
    /// resolves the alert itself after this.
    public var validUntil: Int64?
    /// When the condition stopped while `keep_firing_for` keeps the alert firing.
    public var keepFiringSince: Int64?

    public init(labels: Labels, annotations: Labels, state: AlertState, value: Double, activeAt: Int64,
                firedAt: Int64? = nil, resolvedAt: Int64? = nil, lastSentAt: Int64? = nil,
                validUntil: Int64? = nil, keepFiringSince: Int64? = nil) {
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.value = value
        self.activeAt = activeAt
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.lastSentAt = lastSentAt
        self.validUntil = validUntil
        self.keepFiringSince = keepFiringSince
    }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.labels == rhs.labels && lhs.annotations == rhs.annotations && lhs.state == rhs.state
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN)) && lhs.activeAt == rhs.activeAt
            && lhs.firedAt == rhs.firedAt && lhs.resolvedAt == rhs.resolvedAt && lhs.lastSentAt == rhs.lastSentAt
            && lhs.validUntil == rhs.validUntil && lhs.keepFiringSince == rhs.keepFiringSince
    }

    /// Prometheus's `needsSending`: firing alerts every `resendDelay`, resolved ones
    /// until the resolution has been sent, never pending ones.
    func needsSending(at time: Int64, resendDelay: Int64) -> Bool {
        if state == .pending { return false }
        if let resolvedAt, resolvedAt > (lastSentAt ?? Int64.min) { return true }
        guard let lastSentAt else { return true }
        return lastSentAt + resendDelay < time
    }
}

extension Labels {
    /// Orders label sets by their sorted pairs, so listings are deterministic.
    static func precedes(_ lhs: Labels, _ rhs: Labels) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) {
            if left.name != right.name { return left.name < right.name }
            if left.value != right.value { return left.value < right.value }
        }
        return lhs.pairs.count < rhs.pairs.count
    }
}
