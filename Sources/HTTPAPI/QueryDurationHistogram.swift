import Synchronization

/// `sluice_query_duration_seconds`: a Prometheus histogram of query latency per endpoint.
/// Thread-safe (a mutex around a few counters).
final class QueryDurationHistogram: MetricsExposition {
    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private struct Series {
        var buckets = [Int](repeating: 0, count: QueryDurationHistogram.bounds.count)
        var count = 0
        var sum = 0.0
    }

    private let series = Mutex<[String: Series]>([:])

    func observe(endpoint: String, seconds: Double) {
        series.withLock { all in
            var one = all[endpoint] ?? Series()
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { one.buckets[index] += 1 }
            one.count += 1
            one.sum += seconds
            all[endpoint] = one
        }
    }

    func appendMetrics(to text: inout String) {
        let snapshot = series.withLock { $0 }
        text += "# HELP sluice_query_duration_seconds Time to answer a query, by endpoint.\n"
        text += "# TYPE sluice_query_duration_seconds histogram\n"
        for (endpoint, one) in snapshot.sorted(by: { $0.key < $1.key }) {
            for (index, bound) in Self.bounds.enumerated() {
                text += "sluice_query_duration_seconds_bucket{endpoint=\"\(endpoint)\",le=\"\(bound)\"} \(one.buckets[index])\n"
            }
            text += "sluice_query_duration_seconds_bucket{endpoint=\"\(endpoint)\",le=\"+Inf\"} \(one.count)\n"
            text += "sluice_query_duration_seconds_sum{endpoint=\"\(endpoint)\"} \(one.sum)\n"
            text += "sluice_query_duration_seconds_count{endpoint=\"\(endpoint)\"} \(one.count)\n"
        }
    }
}
