import SluiceModel

/// The alerting part of Sluice's configuration (`sluice.yml` is read elsewhere; these
/// are the values it fills, with their defaults).
public struct AlertingConfiguration: Sendable {
    /// Rule files: paths or globs, loaded in this order (`rule_files`).
    public var ruleFiles: [String] = ["etc/rules/*.yml"]
    /// Interval of groups that set none (`evaluation_interval`); 10 s. Sub-second values
    /// (250 ms) are allowed.
    public var evaluationIntervalMilliseconds: Int64 = 10_000
    /// Sluice's address as users reach it (`external_url`): `$externalURL`, the base of
    /// `generatorURL`, the webhook body's `externalURL`.
    public var externalURL = "http://127.0.0.1:8080"
    /// Labels added to every alert sent out (`external_labels`), as Prometheus does.
    public var externalLabels = Labels()
    /// How often firing alerts are sent to Alertmanager again (Prometheus: 1 m).
    public var resendDelayMilliseconds: Int64 = 60_000
    /// The alert state file; nil keeps state in memory only.
    public var statePath: String?
    public var webhooks: [WebhookConfiguration] = []
    public var alertmanagers: [AlertmanagerConfiguration] = []

    public init() {}

    /// The rule manager's settings from these.
    public var ruleManagerConfiguration: RuleManager.Configuration {
        var configuration = RuleManager.Configuration()
        configuration.defaultIntervalMilliseconds = evaluationIntervalMilliseconds
        configuration.externalLabels = externalLabels
        configuration.externalURL = externalURL
        configuration.resendDelayMilliseconds = resendDelayMilliseconds
        configuration.snapshotPath = statePath
        return configuration
    }
}

/// A webhook receiver (`webhooks: [{url, timeout, max_retry_time}]`): gets Alertmanager's
/// v4 webhook body when an alert starts firing and when it is resolved.
public struct WebhookConfiguration: Sendable {
    /// The `receiver` field of the body and the name in logs and dead letters.
    public var name: String
    public var url: String
    /// Connect / read / write timeout of one attempt; 10 s.
    public var timeoutMilliseconds: Int64 = 10_000
    /// Backoff 500 ms doubling to 30 s; given up (dead letter) after `max_retry_time`, 10 min.
    public var retry = RetryPolicy()
    /// Labels that group alerts of one evaluation into one body (Alertmanager's
    /// `group_by`); nil groups by all labels, one alert per body.
    public var groupBy: [String]?

    public init(name: String = "webhook", url: String) {
        self.name = name
        self.url = url
    }
}

/// An Alertmanager (`alertmanagers: [{url}]`): the base URL (`http://host:9093`) or the
/// full `…/api/v2/alerts`. Gets every firing alert each resend delay, and resolutions.
public struct AlertmanagerConfiguration: Sendable {
    public var url: String
    public var timeoutMilliseconds: Int64 = 10_000
    public var retry = RetryPolicy()

    public init(url: String) { self.url = url }

    /// The `POST /api/v2/alerts` endpoint.
    public var alertsEndpoint: String {
        if url.hasSuffix("/api/v2/alerts") { return url }
        return (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/api/v2/alerts"
    }
}
