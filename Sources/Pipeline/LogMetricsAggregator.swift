import SluiceModel

/// Running totals of the metrics that `metric` steps derive from logs, as Prometheus
/// counters: cumulative since the appliance started (a restart is a counter reset, which
/// `rate` and `increase` handle). Not thread-safe: one per pipeline worker.
public struct LogMetricsAggregator: Sendable {
    private struct SeriesKey: Hashable {
        var name: String
        var labels: Labels
    }

    private var totals: [SeriesKey: Double] = [:]
    private var changed = false

    public init() {}

    public mutating func add(name: String, labels: Labels, value: Double) {
        totals[SeriesKey(name: name, labels: labels), default: 0] += value
        changed = true
    }

    /// Adds another worker's totals into these.
    public mutating func merge(_ other: LogMetricsAggregator) {
        guard other.changed else { return }
        for (key, value) in other.totals { totals[key, default: 0] += value }
        changed = true
    }

    /// Every series' total, sorted by name and labels, whether or not it changed: written
    /// every interval like a scrape, so a quiet counter stays visible to queries (it would
    /// vanish after the 5-minute lookback otherwise).
    public var totalsSnapshot: [MetricSample] {
        totals.map { MetricSample(name: $0.key.name, labels: $0.key.labels, value: $0.value) }
            .sorted { ($0.name, $0.labels.sortKey) < ($1.name, $1.labels.sortKey) }
    }

    /// Every series' total, sorted by name and labels; nil when nothing changed since the
    /// last call.
    public mutating func snapshotIfChanged() -> [MetricSample]? {
        guard changed else { return nil }
        changed = false
        return totals.map { MetricSample(name: $0.key.name, labels: $0.key.labels, value: $0.value) }
            .sorted { ($0.name, $0.labels.sortKey) < ($1.name, $1.labels.sortKey) }
    }
}
