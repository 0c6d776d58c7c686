import Glibc
import SluiceModel

/// Evaluates an expression at every step of a query at once, the way Prometheus's
/// engine does (instant queries are one step): each node yields its value for all steps,
/// each selector's samples are fetched once for the whole query range and walked with
/// per-series cursors. Not thread-safe; one evaluator per query.
final class PromQLEvaluator {
    let source: any MetricSampleSource
    let lookbackDelta: Int64
    let start: Int64
    let interval: Int64
    let stepCount: Int
    /// Asked before each node and after each fetch: a query past its deadline stops there.
    var isCancelled: () -> Bool = { false }

    static let timedOut = PromQLError(kind: .timeout, message: "query timed out in expression evaluation")

    static let sameLabelSetError = PromQLError.execution("vector cannot contain metrics with the same labelset")

    /// Prometheus's default `--query.max-samples`. Steps are held densely (a value slot
    /// per series and step), so the check counts slots, which bounds memory at about 9
    /// bytes each; Prometheus counts only the samples present.
    static let maximumSamples = 50_000_000

    func requireSampleBudget(seriesCount: Int) throws(PromQLError) {
        if seriesCount.multipliedReportingOverflow(by: stepCount).partialValue > Self.maximumSamples || seriesCount > Self.maximumSamples {
            throw PromQLError.execution("query processing would load too many samples into memory in query execution")
        }
    }

    init(source: any MetricSampleSource, lookbackDelta: Int64, start: Int64, end: Int64, interval: Int64) {
        self.source = source
        self.lookbackDelta = lookbackDelta
        self.start = start
        self.interval = interval
        stepCount = Int((end - start) / interval) + 1
    }

    @inline(__always) func time(ofStep step: Int) -> Int64 { start + Int64(step) * interval }

    func evaluate(_ expression: PromQLExpression) throws(PromQLError) -> StepValue {
        if isCancelled() { throw Self.timedOut }
        switch expression {
        case .number(let value, _):
            return .scalar([Double](repeating: value, count: stepCount))
        case .string(let value, _):
            return .string(value)
        case .parenthesized(let inner, _):
            return try evaluate(inner)
        case .vectorSelector(let selector):
            return .vector(try vectorSelector(selector))
        case .matrixSelector(let matrix):
            return .matrix(try rawMatrix(matrix))
        case .unary(let negate, let operand, _):
            return try unary(negate: negate, try evaluate(operand))
        case .binary(let binary):
            return try self.binary(binary)
        case .aggregate(let aggregate):
            return .vector(try self.aggregate(aggregate))
        case .call(let call):
            return try self.call(call)
        }
    }

    func vector(_ expression: PromQLExpression) throws(PromQLError) -> [StepSeries] {
        guard case .vector(let series) = try evaluate(expression) else {
            throw PromQLError.execution("expected an instant vector")
        }
        return series
    }

    func scalar(_ expression: PromQLExpression) throws(PromQLError) -> [Double] {
        guard case .scalar(let values) = try evaluate(expression) else {
            throw PromQLError.execution("expected a scalar")
        }
        return values
    }

    // MARK: Selectors

    /// Every series matching the selector with samples in `[from, to]`, in Prometheus's
    /// order (sorted by labels).
    func fetch(_ selector: PromQLVectorSelector, from: Int64, to: Int64) throws(PromQLError) -> [MetricSeriesSamples] {
        var series: [MetricSeriesSamples]
        do {
            series = try source.samples(matching: selector.matchers, start: from, end: to)
        } catch let error as PromQLError {
            throw error
        } catch {
            throw PromQLError.execution("expanding series: \(error)")
        }
        if isCancelled() { throw Self.timedOut }
        series.sort { Labels.promQLOrder($0.labels, $1.labels) }
        return series
    }

    /// The newest sample at or before each step (minus the offset), no older than the
    /// lookback delta, unless that sample is a stale marker. With `timestamps`, the value
    /// is the sample's time in seconds (for `timestamp()`), and the metric name dropped.
    func vectorSelector(_ selector: PromQLVectorSelector, timestamps: Bool = false) throws(PromQLError) -> [StepSeries] {
        let first = time(ofStep: 0) - selector.offset - lookbackDelta
        let last = time(ofStep: stepCount - 1) - selector.offset
        let fetched = try fetch(selector, from: first, to: last)
        try requireSampleBudget(seriesCount: fetched.count)
        var result: [StepSeries] = []
        result.reserveCapacity(fetched.count)
        for series in fetched {
            var column = StepSeries(labels: timestamps ? series.labels.droppingMetricName() : series.labels, stepCount: stepCount)
            var found = false
            series.timestamps.withUnsafeBufferPointer { times in
                series.values.withUnsafeBufferPointer { values in
                    var cursor = 0  // first sample after the reference time
                    for step in 0..<stepCount {
                        let reference = time(ofStep: step) - selector.offset
                        while cursor < times.count && times[cursor] <= reference { cursor += 1 }
                        guard cursor > 0 else { continue }
                        let newest = cursor - 1
                        guard times[newest] >= reference - lookbackDelta, !StaleMarker.isStale(values[newest]) else { continue }
                        column.present[step] = true
                        column.values[step] = timestamps ? Double(times[newest]) / 1000 : values[newest]
                        found = true
                    }
                }
            }
            if found { result.append(column) }
        }
        if timestamps { try requireDistinctLabelSetsPerStep(result) }
        return result
    }

    /// A range selector's samples in `[t - range, t]` (minus the offset) for every series,
    /// stale markers left out.
    func windows(_ matrix: PromQLMatrixSelector) throws(PromQLError) -> [(labels: Labels, times: [Int64], values: [Double])] {
        let selector = matrix.selector
        let first = time(ofStep: 0) - selector.offset - matrix.range
        let last = time(ofStep: stepCount - 1) - selector.offset
        return try fetch(selector, from: first, to: last).map { series in
            guard series.values.contains(where: StaleMarker.isStale) else {
                return (series.labels, series.timestamps, series.values)
            }
            var times: [Int64] = [], values: [Double] = []
            for (time, value) in zip(series.timestamps, series.values) where !StaleMarker.isStale(value) {
                times.append(time)
                values.append(value)
            }
            return (series.labels, times, values)
        }
    }

    /// `metric[5m]` at the top of an instant query: the raw samples of the window.
    private func rawMatrix(_ matrix: PromQLMatrixSelector) throws(PromQLError) -> [PromQLSeries] {
        let maxTime = time(ofStep: 0) - matrix.selector.offset
        let minTime = maxTime - matrix.range
        var result: [PromQLSeries] = []
        for window in try windows(matrix) {
            var points: [PromQLPoint] = []
            for (time, value) in zip(window.times, window.values) where time >= minTime && time <= maxTime {
                points.append(PromQLPoint(time: time, value: value))
            }
            if !points.isEmpty { result.append(PromQLSeries(labels: window.labels, points: points)) }
        }
        return result
    }

    /// Two series with the same labels at one step are an error in Prometheus.
    func requireDistinctLabelSetsPerStep(_ series: [StepSeries]) throws(PromQLError) {
        var seen: [Labels: Int] = [:]
        for (index, column) in series.enumerated() {
            if let other = seen[column.labels] {
                for step in 0..<stepCount where column.present[step] && series[other].present[step] {
                    throw Self.sameLabelSetError
                }
            } else {
                seen[column.labels] = index
            }
        }
    }

    /// Two series with the same labels anywhere in the result (range functions and unary
    /// minus check the whole matrix, not each step).
    func requireDistinctLabelSets(_ series: [StepSeries]) throws(PromQLError) {
        var seen = Set<Labels>()
        for column in series where !seen.insert(column.labels).inserted {
            throw Self.sameLabelSetError
        }
    }

    // MARK: Unary

    private func unary(negate: Bool, _ value: StepValue) throws(PromQLError) -> StepValue {
        guard negate else { return value }
        switch value {
        case .scalar(let values):
            return .scalar(values.map { -$0 })
        case .vector(var series):
            for index in series.indices {
                series[index].labels = series[index].labels.droppingMetricName()
                for step in 0..<stepCount { series[index].values[step] = -series[index].values[step] }
            }
            try requireDistinctLabelSets(series)
            return .vector(series)
        case .string, .matrix:
            throw PromQLError.execution("unary expression only allowed on expressions of type scalar or instant vector")
        }
    }
}

/// Result slots of parallel evaluation; each worker writes only its own elements.
struct EvaluatorSlots<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

extension PromQLEvaluator {
    /// Threads one call may use (the machine's cores, at most 4).
    static let workers = max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
}
