import SluiceModel

/// One collection: every sample that could be read, and which collectors could not run
/// (a container without /proc/diskstats), so the agent can log each failure once.
public struct HostMetricsSnapshot: Sendable, Equatable {
    public var samples: [MetricSample]
    public var failures: [Failure]

    public init(samples: [MetricSample], failures: [Failure]) {
        self.samples = samples
        self.failures = failures
    }

    /// A collector that produced nothing this time, and why.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var collector: HostMetricsCollector.Collector
        public var error: ProcFileError

        public init(collector: HostMetricsCollector.Collector, error: ProcFileError) {
            self.collector = collector
            self.error = error
        }

        public var description: String { "host metrics collector \(collector.rawValue): \(error)" }
    }
}
