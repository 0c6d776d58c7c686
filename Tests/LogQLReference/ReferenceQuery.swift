import SluiceModel
@testable import LogQL

extension ReferenceEvaluator {
    /// What a query_range (or, with `instant`, a query at `end`) must answer, computed by
    /// brute force: the shape the engine and the HTTP API return. Pipeline errors come
    /// back as the failure.
    public func expected(_ text: String, start: Int64, end: Int64, step: Int64, limit: Int,
                         direction: LogScan.Direction, instant: Bool) throws -> Result<LogQLResult, LogQLError> {
        switch try LogQLParser.parse(text) {
        case .log(let query):
            return .success(logQuery(query, start: start, end: end, limit: limit, backward: direction == .backward))
        case .metric(let query):
            var times: [Int64] = instant ? [end] : []
            if !instant {
                var time = start
                while time <= end { times.append(time); time += step }
            }
            do {
                let vectors = try metric(query, times: times)
                if instant {
                    return .success(.vector(vectors[0].map {
                        LogQLSample(labels: $0.key, point: LogQLPoint(timestamp: Timestamp(nanosecondsSinceEpoch: end), value: $0.value))
                    }.sorted { $0.labels.sortKey < $1.labels.sortKey }))
                }
                var series: [Labels: [LogQLPoint]] = [:]
                for (index, vector) in vectors.enumerated() {
                    for (labels, value) in vector {
                        series[labels, default: []].append(LogQLPoint(timestamp: Timestamp(nanosecondsSinceEpoch: times[index]), value: value))
                    }
                }
                return .success(.matrix(series.map { LogQLSeries(labels: $0.key, points: $0.value) }
                    .sorted { $0.labels.sortKey < $1.labels.sortKey }))
            } catch let error as LogQLError {
                return .failure(error)
            }
        }
    }
}
