/// Prometheus's stale marker: a NaN with this exact bit pattern, written when a series
/// stops being reported. Queries treat it as "no sample here" (an instant selector whose
/// latest sample is stale returns nothing), unlike an ordinary NaN, which is a value.
public enum StaleMarker {
    public static let bitPattern: UInt64 = 0x7ff0_0000_0000_0002
    public static let value = Double(bitPattern: bitPattern)

    @inlinable
    public static func isStale(_ value: Double) -> Bool { value.bitPattern == bitPattern }
}

/// One series' samples as a metric store hands them to a query: the full label set
/// (with `__name__`), and timestamps in milliseconds since the epoch, ascending and
/// unique, each with its value (stale markers included).
public struct MetricSeriesSamples: Sendable {
    public var labels: Labels
    public var timestamps: [Int64]
    public var values: [Double]

    public init(labels: Labels, timestamps: [Int64], values: [Double]) {
        precondition(timestamps.count == values.count, "one value per timestamp")
        self.labels = labels
        self.timestamps = timestamps
        self.values = values
    }
}

/// What PromQL asks of storage: every series matching all the matchers, with its samples
/// at `start <= t <= end` (milliseconds, both ends inclusive), in any series order. A
/// series without samples in the range may be left out. `PromQL` and `MetricStore` do not
/// know each other; both know this.
public protocol MetricSampleSource: Sendable {
    func samples(matching matchers: [LabelMatcher], start: Int64, end: Int64) throws -> [MetricSeriesSamples]
}
