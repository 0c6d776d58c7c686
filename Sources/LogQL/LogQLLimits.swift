/// Bounds on one query; exceeding one throws `LogQLLimitError`.
public struct LogQLLimits: Sendable {
    /// Largest `limit` a log query may ask for (Loki's `max_entries_limit_per_query`).
    public var maxEntries: Int
    /// Most series a metric query may return (Loki's `max_query_series`).
    public var maxSeries: Int
    /// Most steps per series: Prometheus's rule of 11,000 points.
    public var maxPoints: Int
    /// Longest `end - start` (Loki's `max_query_length`, 721h); nil for no bound.
    public var maxQueryLengthNanoseconds: Int64?
    /// Most series × steps held while evaluating (memory bound for inner series before
    /// aggregation).
    public var maxIntermediateCells: Int

    public init(maxEntries: Int = 5000, maxSeries: Int = 10_000, maxPoints: Int = 11_000,
                maxQueryLengthNanoseconds: Int64? = 721 * 3_600_000_000_000,
                maxIntermediateCells: Int = 50_000_000) {
        self.maxEntries = maxEntries
        self.maxSeries = maxSeries
        self.maxPoints = maxPoints
        self.maxQueryLengthNanoseconds = maxQueryLengthNanoseconds
        self.maxIntermediateCells = maxIntermediateCells
    }
}
