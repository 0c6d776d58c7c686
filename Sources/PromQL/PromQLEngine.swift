import SluiceModel

/// Runs PromQL instant and range queries over a `MetricSampleSource` with Prometheus
/// 2.42's semantics: 5-minute lookback with staleness, `rate`/`increase` extrapolation,
/// vector matching, aggregations. Stateless apart from its configuration, so one engine
/// serves concurrent queries (each query gets its own evaluator).
public struct PromQLEngine: Sendable {
    public let source: any MetricSampleSource
    /// How far back an instant selector looks for a sample, in milliseconds.
    public let lookbackDelta: Int64
    /// Prometheus's API refuses range queries with more points per series than this.
    public static let maximumPointsPerSeries: Int64 = 11_000

    public init(source: any MetricSampleSource, lookbackDelta: Int64 = 300_000) {
        self.source = source
        self.lookbackDelta = lookbackDelta
    }

    /// Parses and type-checks a query (also used to validate alerting rules).
    public static func parse(_ text: String) throws -> PromQLExpression {
        try PromQLParser.parse(text)
    }

    /// Prometheus's `model.ParseDuration` (`90s`, `1h30m`, `5m`) in milliseconds, or nil.
    public static func durationMilliseconds(_ text: String) -> Int64? {
        if case .success(let milliseconds) = PromQLParser.parseDuration(text) { return milliseconds }
        return nil
    }

    /// A series selector (`up{job="x"}`, `{__name__=~"node_.+"}`) as `match[]` takes
    /// it in `/api/v1/series`, `/labels` and `/label/…/values`: the matchers, of which at
    /// least one must not match the empty string (as Prometheus requires).
    public static func parseSeriesSelector(_ text: String) throws -> [LabelMatcher] {
        let expression = try PromQLParser.parse(text)
        guard case .vectorSelector(let selector) = expression, selector.offset == 0 else {
            throw PromQLError(kind: .parse, message: "expected a series selector like up{job=\"x\"}", position: 0, query: text)
        }
        guard selector.matchers.contains(where: { !$0.matches(value: "") }) else {
            throw PromQLError(kind: .badRequest, message: "match[] must contain at least one non-empty matcher")
        }
        return selector.matchers
    }

    /// Evaluates `text` at `time` (milliseconds): a scalar, string, vector (sorted by
    /// labels unless the expression orders it: `sort`, `sort_desc`, `topk`, `bottomk`)
    /// or, for a range selector, a matrix of its raw samples.
    /// `isCancelled` is asked as evaluation goes on (a deadline); once true, the query
    /// stops with a `.timeout` error.
    public func instantQuery(_ text: String, at time: Int64, isCancelled: @escaping () -> Bool = { false }) throws -> PromQLValue {
        let expression = try PromQLParser.parse(text)
        try Self.requireTimeInRange(time)
        let evaluator = PromQLEvaluator(source: source, lookbackDelta: lookbackDelta, start: time, end: time, interval: 1)
        evaluator.isCancelled = isCancelled
        switch try evaluator.evaluate(expression) {
        case .scalar(let values):
            return .scalar(time: time, value: values[0])
        case .string(let value):
            return .string(time: time, value: value)
        case .matrix(let series):
            return .matrix(series)
        case .vector(let series):
            var samples = series.map { PromQLSample(labels: $0.labels, time: time, value: $0.values[0]) }
            if !Self.definesOrder(expression) {
                samples.sort { Labels.promQLOrder($0.labels, $1.labels) }
            }
            return .vector(samples)
        }
    }

    /// Evaluates `text` at `start`, `start + step`, … up to `end` (milliseconds) into a
    /// matrix: one series per label set seen at any step, series sorted by labels.
    public func rangeQuery(_ text: String, start: Int64, end: Int64, step: Int64,
                           isCancelled: @escaping () -> Bool = { false }) throws -> PromQLValue {
        let expression = try PromQLParser.parse(text)
        if step <= 0 {
            throw PromQLError(kind: .badRequest,
                              message: "zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        try Self.requireTimeInRange(start)
        try Self.requireTimeInRange(end)
        if end < start { throw PromQLError(kind: .badRequest, message: "end timestamp must not be before start time") }
        if (end - start) / step > Self.maximumPointsPerSeries {
            throw PromQLError(kind: .badRequest,
                              message: "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        let type = expression.type
        guard type == .scalar || type == .instantVector else {
            throw PromQLError(kind: .badRequest,
                              message: "invalid expression type \"\(type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        let evaluator = PromQLEvaluator(source: source, lookbackDelta: lookbackDelta, start: start, end: end, interval: step)
        evaluator.isCancelled = isCancelled
        var result: [PromQLSeries] = []
        switch try evaluator.evaluate(expression) {
        case .scalar(let values):
            let points = values.enumerated().map { PromQLPoint(time: evaluator.time(ofStep: $0.offset), value: $0.element) }
            result = [PromQLSeries(labels: Labels(), points: points)]
        case .vector(let series):
            result.reserveCapacity(series.count)
            for column in series {
                var points: [PromQLPoint] = []
                for step in 0..<evaluator.stepCount where column.present[step] {
                    points.append(PromQLPoint(time: evaluator.time(ofStep: step), value: column.values[step]))
                }
                if !points.isEmpty { result.append(PromQLSeries(labels: column.labels, points: points)) }
            }
            result.sort { Labels.promQLOrder($0.labels, $1.labels) }
        case .string, .matrix:
            throw PromQLError(kind: .badRequest, message: "invalid expression type for range query, must be Scalar or instant Vector")
        }
        return .matrix(result)
    }

    /// Times within ±2^60 ms (36 million years) keep every window and offset computation
    /// far from Int64 overflow (durations are at most about 292 years).
    private static func requireTimeInRange(_ time: Int64) throws(PromQLError) {
        if time.magnitude > 1 << 60 { throw PromQLError(kind: .badRequest, message: "time out of range: \(time) ms") }
    }

    /// Whether the outermost operation of an instant query decides the order of its result.
    static func definesOrder(_ expression: PromQLExpression) -> Bool {
        switch expression.unwrapped {
        case .call(let call): return call.function.name == "sort" || call.function.name == "sort_desc"
        case .aggregate(let aggregate): return aggregate.op == .topk || aggregate.op == .bottomk
        default: return false
        }
    }
}
