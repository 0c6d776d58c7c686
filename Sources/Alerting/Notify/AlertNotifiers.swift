import Logging
import SluiceModel

/// The configured receivers: webhooks get a v4 body on each transition to firing or to
/// resolved; Alertmanagers get what the rule manager hands out for (re)sending, in
/// batches of at most 64 alerts (Prometheus's batch size). Each receiver delivers in
/// order on its own (see `ReceiverDelivery`).
public final class AlertNotifiers: Sendable {
    public let webhooks: [(configuration: WebhookConfiguration, delivery: ReceiverDelivery)]
    public let alertmanagers: [ReceiverDelivery]
    let externalURL: String
    let externalLabels: Labels

    /// Prometheus's notifier batch size.
    public static let alertmanagerBatchSize = 64

    public init(configuration: AlertingConfiguration, transport: any NotificationTransport = HTTPPostClient(),
                clock: any AlertingClock = SystemAlertingClock(),
                deadLetters: @escaping @Sendable (DeadLetter) -> Void = { _ in },
                logger: Logger = Logger(label: "sluice.alerting.notify")) {
        externalURL = configuration.externalURL
        externalLabels = configuration.externalLabels
        webhooks = configuration.webhooks.map { webhook in
            (webhook, ReceiverDelivery(name: webhook.name, url: webhook.url, policy: webhook.retry,
                                       timeoutMilliseconds: webhook.timeoutMilliseconds, transport: transport,
                                       clock: clock, deadLetters: deadLetters, logger: logger))
        }
        alertmanagers = configuration.alertmanagers.map { alertmanager in
            ReceiverDelivery(name: "alertmanager \(alertmanager.url)", url: alertmanager.alertsEndpoint,
                             policy: alertmanager.retry, timeoutMilliseconds: alertmanager.timeoutMilliseconds,
                             transport: transport, clock: clock, deadLetters: deadLetters, logger: logger)
        }
    }

    public var deliveries: [ReceiverDelivery] { webhooks.map(\.delivery) + alertmanagers }

    /// Queues webhook bodies for the transitions to firing and to resolved.
    public func handle(transitions: [AlertTransition]) {
        let relevant = transitions.filter { $0.to == .firing || $0.to == .resolved }
        guard !relevant.isEmpty else { return }
        for (configuration, delivery) in webhooks {
            for body in Self.webhookBodies(relevant, receiver: configuration.name, groupBy: configuration.groupBy,
                                           externalURL: externalURL, externalLabels: externalLabels) {
                delivery.enqueue(body)
            }
        }
    }

    /// Queues Alertmanager bodies for alerts due for (re)sending.
    public func handle(notifications: [AlertNotification]) {
        guard !notifications.isEmpty else { return }
        for delivery in alertmanagers {
            var start = 0
            while start < notifications.count {
                let end = min(start + Self.alertmanagerBatchSize, notifications.count)
                delivery.enqueue(AlertmanagerPayload.encode(Array(notifications[start..<end])))
                start = end
            }
        }
    }

    /// One body per (status, group labels), groups in order of first appearance.
    static func webhookBodies(_ transitions: [AlertTransition], receiver: String, groupBy: [String]?,
                              externalURL: String, externalLabels: Labels) -> [[UInt8]] {
        var order: [String] = []
        var groups: [String: (labels: Labels, entries: [WebhookPayload.Entry])] = [:]
        for transition in transitions {
            var labels = transition.labels
            for pair in externalLabels where labels[pair.name] == nil { labels[pair.name] = pair.value }
            let resolved = transition.to == .resolved
            let groupLabels = groupBy.map { names in Labels(unsortedPairs: names.compactMap { name in labels[name].map { (name, $0) } }) } ?? labels
            let key = (resolved ? "resolved" : "firing") + WebhookPayload.groupKey(groupLabels)
            let entry = WebhookPayload.Entry(
                labels: labels, annotations: transition.annotations, startsAt: transition.firedAt ?? transition.activeAt,
                endsAt: resolved ? transition.time : nil,
                generatorURL: RuleManager.generatorURL(externalURL: externalURL, expression: transition.expression))
            if groups[key] == nil {
                order.append(key)
                groups[key] = (groupLabels, [])
            }
            groups[key]?.entries.append(entry)
        }
        return order.compactMap { key in
            groups[key].map { WebhookPayload.encode(receiver: receiver, groupLabels: $0.labels, entries: $0.entries, externalURL: externalURL) }
        }
    }

    /// Sinks that feed these notifiers; recorded samples go to `recordedSamples`.
    public func ruleManagerSinks(recordedSamples: @escaping @Sendable (Int64, [MetricSample]) -> Void = { _, _ in },
                                 transitions: @escaping @Sendable ([AlertTransition]) -> Void = { _ in }) -> RuleManagerSinks {
        RuleManagerSinks(
            recordedSamples: recordedSamples,
            transitions: { [self] batch in
                transitions(batch)
                handle(transitions: batch)
            },
            notifications: { [self] batch in handle(notifications: batch) })
    }

    /// Delivers what is due on every receiver from the calling thread (tests, replay);
    /// returns the earliest time something will be due again.
    @discardableResult
    public func deliverDue() -> Int64? {
        deliveries.compactMap { $0.deliverDue() }.min()
    }

    public func start() { deliveries.forEach { $0.start() } }

    public func stop() { deliveries.forEach { $0.stop() } }
}
