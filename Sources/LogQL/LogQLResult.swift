import SluiceModel

/// What a query returns, in Loki's three shapes.
public enum LogQLResult: Sendable, Equatable {
    /// Log queries: streams sorted by labels' `sortKey`, entries in direction order.
    case streams([LogQLStream])
    /// Range metric queries: series sorted by labels' `sortKey`, points by time.
    case matrix([LogQLSeries])
    /// Instant metric queries: samples sorted by labels' `sortKey`.
    case vector([LogQLSample])
}

/// One stream of a log query's result.
public struct LogQLStream: Sendable, Equatable {
    public var labels: Labels
    public var entries: [LogQLStreamEntry]

    public init(labels: Labels, entries: [LogQLStreamEntry]) {
        self.labels = labels
        self.entries = entries
    }
}

/// One entry of a stream: its time and (possibly reformatted) line.
public struct LogQLStreamEntry: Sendable, Equatable {
    public var timestamp: Timestamp
    public var line: [UInt8]

    public init(timestamp: Timestamp, line: [UInt8]) {
        self.timestamp = timestamp
        self.line = line
    }
}

/// One series of a range metric query.
public struct LogQLSeries: Sendable, Equatable {
    public var labels: Labels
    public var points: [LogQLPoint]

    public init(labels: Labels, points: [LogQLPoint]) {
        self.labels = labels
        self.points = points
    }
}

/// One sample of an instant metric query.
public struct LogQLSample: Sendable, Equatable {
    public var labels: Labels
    public var point: LogQLPoint

    public init(labels: Labels, point: LogQLPoint) {
        self.labels = labels
        self.point = point
    }
}

/// A value at a step's time.
public struct LogQLPoint: Sendable, Equatable {
    public var timestamp: Timestamp
    public var value: Double

    public init(timestamp: Timestamp, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}
