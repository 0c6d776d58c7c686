import SluiceModel

/// A `MetricSampleSource` over series held in memory, for tests: matches every matcher
/// and returns the samples in `[start, end]`; counts the fetches so tests can check that
/// a range query reads each selector once.
final class InMemorySampleSource: MetricSampleSource, @unchecked Sendable {
    private(set) var series: [MetricSeriesSamples] = []
    private(set) var fetchCount = 0
    private(set) var fetchedRanges: [(start: Int64, end: Int64)] = []

    init(_ series: [MetricSeriesSamples] = []) {
        self.series = series
    }

    /// Adds a series from `(milliseconds, value)` pairs, which must be in time order.
    func add(_ labels: Labels, _ samples: [(Int64, Double)]) {
        series.append(MetricSeriesSamples(labels: labels, timestamps: samples.map(\.0), values: samples.map(\.1)))
    }

    /// Adds a series sampled every `interval` ms from `start`, with values from `value(i)`.
    func add(_ labels: Labels, start: Int64, interval: Int64, count: Int, value: (Int) -> Double) {
        add(labels, (0..<count).map { (start + Int64($0) * interval, value($0)) })
    }

    func samples(matching matchers: [LabelMatcher], start: Int64, end: Int64) throws -> [MetricSeriesSamples] {
        fetchCount += 1
        fetchedRanges.append((start, end))
        var result: [MetricSeriesSamples] = []
        for candidate in series where matchers.allSatisfy({ $0.matches(candidate.labels) }) {
            let times = candidate.timestamps
            let lower = times.partitionPoint { $0 < start }
            let upper = times.partitionPoint { $0 <= end }
            if lower < upper {
                result.append(MetricSeriesSamples(labels: candidate.labels, timestamps: Array(times[lower..<upper]),
                                                  values: Array(candidate.values[lower..<upper])))
            }
        }
        // Storage may return series in any order; reverse to make sure the engine sorts.
        return result.reversed()
    }
}

extension Array {
    /// The first index whose element fails `belongsBefore` (the array is partitioned by it).
    func partitionPoint(_ belongsBefore: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsBefore(self[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
