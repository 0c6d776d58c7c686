import SluiceModel

/// A parsed LogQL query: a log query (a selector and a pipeline) or a metric query.
public enum LogQLExpression: Sendable, CustomStringConvertible {
    case log(LogQLLogQuery)
    case metric(LogQLMetricQuery)

    /// Canonical LogQL text; parsing it again gives the same expression.
    public var description: String {
        switch self {
        case .log(let query): return query.description
        case .metric(let query): return query.description
        }
    }
}

/// A metric query: a range aggregation over a log query, or a vector aggregation of one.
public indirect enum LogQLMetricQuery: Sendable, CustomStringConvertible {
    case range(LogQLRangeAggregation)
    case vector(LogQLVectorAggregation)

    public var description: String {
        switch self {
        case .range(let aggregation): return aggregation.description
        case .vector(let aggregation): return aggregation.description
        }
    }
}

/// `count_over_time({…} | … [5m])` and its siblings.
public struct LogQLRangeAggregation: Sendable, CustomStringConvertible {
    /// The range functions of the subset.
    public enum Operation: String, Sendable, CaseIterable {
        case countOverTime = "count_over_time"
        case rate
        case bytesOverTime = "bytes_over_time"
        case bytesRate = "bytes_rate"
    }

    public var operation: Operation
    public var query: LogQLLogQuery
    /// The window length; windows are `(t - range, t]`.
    public var rangeNanoseconds: Int64
    /// Where the function name starts (pipeline errors point here).
    public var position: LogQLPosition

    public init(operation: Operation, query: LogQLLogQuery, rangeNanoseconds: Int64, position: LogQLPosition) {
        self.operation = operation
        self.query = query
        self.rangeNanoseconds = rangeNanoseconds
        self.position = position
    }

    public var description: String {
        "\(operation.rawValue)(\(query) [\(LogQLText.duration(rangeNanoseconds))])"
    }
}

/// `by (…)` or `without (…)`.
public enum LogQLGrouping: Sendable, Equatable, CustomStringConvertible {
    case by([String])
    case without([String])

    public var description: String {
        switch self {
        case .by(let names): return "by (\(names.joined(separator: ", ")))"
        case .without(let names): return "without (\(names.joined(separator: ", ")))"
        }
    }
}

/// `sum by (l) (…)`, `topk(3, …)` and the other vector aggregations.
public struct LogQLVectorAggregation: Sendable, CustomStringConvertible {
    /// The aggregation operators of the subset.
    public enum Operation: String, Sendable, CaseIterable {
        case sum, avg, min, max, count, topk, bottomk
    }

    public var operation: Operation
    public var grouping: LogQLGrouping?
    /// `k` of topk and bottomk; nil for the others.
    public var parameter: Int?
    public var inner: LogQLMetricQuery

    public init(operation: Operation, grouping: LogQLGrouping?, parameter: Int?, inner: LogQLMetricQuery) {
        self.operation = operation
        self.grouping = grouping
        self.parameter = parameter
        self.inner = inner
    }

    public var description: String {
        var text = operation.rawValue
        if let grouping { text += " \(grouping) " }
        text += "("
        if let parameter { text += "\(parameter), " }
        return text + "\(inner))"
    }
}
