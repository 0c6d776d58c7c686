import SluiceModel

/// Runs LogQL queries over a `LogEntrySource`, with Loki's /query_range and /query
/// semantics.
public struct LogQLEngine: Sendable {
    public let source: any LogEntrySource
    public let limits: LogQLLimits

    public init(source: any LogEntrySource, limits: LogQLLimits = LogQLLimits()) {
        self.source = source
        self.limits = limits
    }

    /// Loki's /query_range. Log queries: entries with start <= t < end, at most `limit` in
    /// `direction` order (the first `limit` across all streams), grouped into streams.
    /// Metric queries: evaluated at t = start, start+step, … <= end; each window is
    /// (t - range, t].
    public func queryRange(_ query: String, start: Timestamp, end: Timestamp, stepNanoseconds: Int64, limit: Int,
                           direction: LogScan.Direction, isCancelled: () -> Bool = { false }) throws -> LogQLResult {
        let expression = try LogQLParser.parse(query)
        guard end >= start else {
            throw LogQLLimitError(.invalidRequest, "end timestamp must not be before start time")
        }
        let (length, overflow) = end.nanosecondsSinceEpoch.subtractingReportingOverflow(start.nanosecondsSinceEpoch)
        if let maxLength = limits.maxQueryLengthNanoseconds, overflow || length > maxLength {
            throw LogQLLimitError(.queryLength, "the query time range exceeds the limit (query length: \(LogQLText.duration(overflow ? .max : length)), limit: \(LogQLText.duration(maxLength)))")
        }
        switch expression {
        case .log(let logQuery):
            guard limit > 0 else { throw LogQLLimitError(.invalidRequest, "limit must be a positive value") }
            guard limit <= limits.maxEntries else {
                throw LogQLLimitError(.entries, "max entries limit per query exceeded, limit > max_entries_limit_per_query (\(limit) > \(limits.maxEntries))")
            }
            var streamIndex: [Labels: Int] = [:]
            var streams: [LogQLStream] = []
            var count = 0
            try LogQueryRunner(source: source).run(logQuery, start: start, end: end, direction: direction, isCancelled: isCancelled) { labels, timestamp, line in
                let entry = LogQLStreamEntry(timestamp: timestamp, line: line)
                if let index = streamIndex[labels] {
                    streams[index].entries.append(entry)
                } else {
                    streamIndex[labels] = streams.count
                    streams.append(LogQLStream(labels: labels, entries: [entry]))
                }
                count += 1
                return count < limit
            }
            return .streams(streams.sorted { $0.labels.sortKey < $1.labels.sortKey })
        case .metric(let metricQuery):
            guard stepNanoseconds > 0 else {
                throw LogQLLimitError(.invalidRequest, "zero or negative query resolution step widths are not accepted. Try a positive integer")
            }
            let steps = overflow ? Int64.max : length / stepNanoseconds
            guard steps < Int64(limits.maxPoints) else {
                throw LogQLLimitError(.pointsPerSeries, "exceeded maximum resolution of \(limits.maxPoints) points per timeseries. Try decreasing the query resolution (?step=XX)")
            }
            let grid = StepGrid(first: start.nanosecondsSinceEpoch, step: stepNanoseconds, count: Int(steps) + 1)
            let series = try evaluate(metricQuery, grid: grid, isCancelled: isCancelled)
            return .matrix(series.map { series in
                LogQLSeries(labels: series.labels, points: series.values.enumerated().compactMap { index, value in
                    value.map { LogQLPoint(timestamp: Timestamp(nanosecondsSinceEpoch: grid.time(index)), value: $0) }
                })
            })
        }
    }

    /// Loki's /query (instant): metric queries evaluated at `time` → vector; log queries →
    /// LogQLError (Loki refuses log queries as instant queries).
    public func queryInstant(_ query: String, time: Timestamp, limit: Int, direction: LogScan.Direction,
                             isCancelled: () -> Bool = { false }) throws -> LogQLResult {
        let expression = try LogQLParser.parse(query)
        guard case .metric(let metricQuery) = expression else {
            throw LogQLError(.evaluation, "log queries are not supported as an instant query type, please change your query to a range query type", at: LogQLPosition(line: 1, column: 1))
        }
        let grid = StepGrid(first: time.nanosecondsSinceEpoch, step: 1, count: 1)
        let series = try evaluate(metricQuery, grid: grid, isCancelled: isCancelled)
        return .vector(series.compactMap { series in
            series.values[0].map { LogQLSample(labels: series.labels, point: LogQLPoint(timestamp: time, value: $0)) }
        })
    }

    /// For export: every entry a LOG query selects in [start, end), in order, no limit,
    /// after the pipeline (labels and the possibly reformatted line); visit returns false
    /// to stop. Metric queries → LogQLError.
    public func forEachEntry(_ query: String, start: Timestamp, end: Timestamp, direction: LogScan.Direction,
                             isCancelled: () -> Bool = { false },
                             visit: (Labels, Timestamp, [UInt8]) throws -> Bool) throws {
        let expression = try LogQLParser.parse(query)
        guard case .log(let logQuery) = expression else {
            throw LogQLError(.evaluation, "only log queries can be exported, not metric queries", at: LogQLPosition(line: 1, column: 1))
        }
        try LogQueryRunner(source: source).run(logQuery, start: start, end: end, direction: direction,
                                               isCancelled: isCancelled, visit: visit)
    }

    /// Default step as Loki computes it when the client omits `step`:
    /// max(floor((end - start) / 250 seconds), 1) seconds.
    public static func defaultStepNanoseconds(start: Timestamp, end: Timestamp) -> Int64 {
        let (length, overflow) = end.nanosecondsSinceEpoch.subtractingReportingOverflow(start.nanosecondsSinceEpoch)
        let seconds = overflow ? Int64.max / 250_000_000_000 : length / 250_000_000_000
        return max(seconds, 1) * 1_000_000_000
    }

    private func evaluate(_ query: LogQLMetricQuery, grid: StepGrid, isCancelled: () -> Bool) throws -> [MetricSeries] {
        let series = try MetricEvaluator(source: source, limits: limits, grid: grid)
            .evaluate(query, isCancelled: isCancelled)
            .filter { $0.values.contains { $0 != nil } }
            .sorted { $0.sortKey < $1.sortKey }
        guard series.count <= limits.maxSeries else {
            throw LogQLLimitError(.series, "maximum of series (\(limits.maxSeries)) reached for a single query")
        }
        return series
    }
}

/// Runs a log query's scan and pipeline, handing each passing entry over.
struct LogQueryRunner {
    let source: any LogEntrySource

    func run(_ query: LogQLLogQuery, start: Timestamp, end: Timestamp, direction: LogScan.Direction,
             isCancelled: () -> Bool, visit: (Labels, Timestamp, [UInt8]) throws -> Bool) throws {
        let pipeline = LogPipeline(query.stages)
        let scan = LogScan(matchers: query.matchers, start: start, end: end, direction: direction,
                           requiredSubstrings: pipeline.requiredSubstrings, needsLines: true, metadataNames: nil)
        var seen = 0
        try source.scan(scan) { scanned in
            seen += 1
            if seen & 4095 == 0, isCancelled() { throw LogQLCancelled() }
            let entry = scanned.entry
            guard entry.timestamp >= start, entry.timestamp < end else { return true }
            var working = PipelineEntry(stream: entry.stream, metadata: entry.metadata, line: entry.line, timestamp: entry.timestamp)
            guard pipeline.run(&working) else { return true }
            return try visit(working.labels, entry.timestamp, working.line)
        }
    }
}
