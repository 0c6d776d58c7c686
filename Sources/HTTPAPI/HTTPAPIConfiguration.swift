import Alerting
import LogQL
import MetricStore
import Processors
import PromQL
import Replay
import SluiceModel

/// The HTTP API's settings (`http:` in sluice.yml) with Loki's defaults for limits.
public struct HTTPAPIConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Longest `end - start` of a query (Loki's max_query_length, 721h).
    public var maxQueryRangeNanoseconds: Int64 = 721 * 3_600_000_000_000
    /// Largest `limit` of a log query (Loki's max_entries_limit_per_query).
    public var maxEntriesLimit = 5000
    /// A query running longer is stopped with 503 (Loki's query_timeout, 1m).
    public var queryTimeoutNanoseconds: Int64 = 60_000_000_000
    /// Largest push body, before and after gzip.
    public var maxPushBytes = 16 << 20
    public var maxPushDecompressedBytes = 64 << 20
    /// The topic pushed lines go to (the `logs` pipeline consumes it).
    public var pushTopic = "logs"
    /// The web UI's files (`ui.directory`); nil: beside the executable, else the source tree.
    public var uiDirectory: String?
    /// The dashboard definitions the UI renders (`ui.dashboards`); nil: none.
    public var dashboardsDirectory: String?

    public init() {}

    /// The engine's limits as this configuration sets them, so that the HTTP checks and
    /// the engine's agree (a raised `max_query_range` must not be refused by the engine).
    public var engineLimits: LogQLLimits {
        LogQLLimits(maxEntries: maxEntriesLimit, maxQueryLengthNanoseconds: maxQueryRangeNanoseconds)
    }
}

/// Something that adds lines to `/metrics` in Prometheus's text format.
public protocol MetricsExposition: Sendable {
    func appendMetrics(to text: inout String)
}

/// What the HTTP API serves from, composed by `sluice serve`.
public struct HTTPAPIDependencies: Sendable {
    public var engine: LogQLEngine
    public var source: any LogEntrySource
    public var writer: LocalTopicWriter
    public var metrics: [any MetricsExposition]
    public var isReady: @Sendable () -> Bool
    public var now: @Sendable () -> Timestamp
    /// Prometheus's API over the metric store and the rules; nil leaves those routes out.
    public var metricQueries: MetricsDependencies?
    /// `POST /api/sluice/v1/replay` (backtests and re-publishing); nil leaves the route out.
    public var replay: ReplayService?
    /// `/api/sluice/v1/status` and the alert history; nil leaves them out.
    public var status: StatusDependencies?

    public init(engine: LogQLEngine, source: any LogEntrySource, writer: LocalTopicWriter,
                metrics: [any MetricsExposition], isReady: @escaping @Sendable () -> Bool,
                now: @escaping @Sendable () -> Timestamp) {
        self.engine = engine
        self.source = source
        self.writer = writer
        self.metrics = metrics
        self.isReady = isReady
        self.now = now
    }
}

/// What the Prometheus-compatible API serves from.
public struct MetricsDependencies: Sendable {
    public var engine: PromQLEngine
    public var store: MetricStore
    /// The live rule manager (`/api/v1/rules`, `/api/v1/alerts`); nil answers empty lists.
    public var rules: RuleManager?

    public init(engine: PromQLEngine, store: MetricStore, rules: RuleManager?) {
        self.engine = engine
        self.store = store
        self.rules = rules
    }
}
