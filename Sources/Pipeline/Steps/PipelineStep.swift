import SluiceModel

/// What a step decided about an event.
public enum StepOutcome: Sendable, Equatable {
    /// Go on to the next step.
    case next
    /// Drop the event (a filter said so); counted, never silent.
    case drop
    /// Send the event to another topic; `andKeep` also passes it on down this pipeline.
    case route(topic: String, andKeep: Bool)
}

/// One configured step of a pipeline. Steps are values built from their config, share
/// nothing between events, and never trap on bad input.
public protocol PipelineStep: Sendable {
    func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome
}

/// `type: parse`: parses the message (or another field) in one format, or auto-detects
/// it. Parsed fields join the event's fields; the stored line stays the raw message. A
/// line that does not parse is kept whole, with `parse_error` saying why.
public struct ParseStep: PipelineStep {
    public let parser: any LogParser
    public let formatName: String
    public let field: String

    public init(parser: any LogParser, formatName: String, field: String = "message") {
        self.parser = parser
        self.formatName = formatName
        self.field = field
    }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        let text = field == "message" ? event.messageText : event.fields[field]?.text ?? ""
        guard let result = parser.parse(text, now: event.timestamp) else {
            event.fields.set("parse_error", .string(formatName == "auto" ? "no known format" : "not \(formatName)"))
            return .next
        }
        // The shipper's names (host, source, file) stay the shipper's; a clash gets a suffix,
        // as Loki's parsers do.
        let shipperFieldCount = event.fields.count
        for parsed in result.fields {
            let clashes = event.fields.prefix(shipperFieldCount).contains { $0.name == parsed.name }
            event.fields.append(clashes ? parsed.name + "_extracted" : parsed.name, parsed.value)
        }
        event.parsed = result
        return .next
    }
}

/// `type: timestamp`: event time from a field (default: the time the parser found, then
/// the usual time field names). Leaves the time alone when nothing parses.
public struct TimestampStep: PipelineStep {
    public let field: String?

    public init(field: String? = nil) { self.field = field }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        if let field {
            if let value = event.fields[field], let time = TimestampExtractor.timestamp(from: value) { event.timestamp = time }
        } else if let time = event.parsed?.timestamp {
            event.timestamp = time
        } else if let time = TimestampExtractor.timestamp(in: event.fields) {
            event.timestamp = time
        }
        return .next
    }
}

/// `type: level`: sets `level` to one of Grafana's words from a field (default: the
/// parser's level, then `level`/`severity`/… fields, then journald's syslog `priority`).
public struct LevelStep: PipelineStep {
    public let field: String?

    public init(field: String? = nil) { self.field = field }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        var level: LogLevel?
        if let field {
            level = event.fields[field].map(LevelNormalizer.level(from:))
        } else {
            level = event.parsed?.level ?? LevelNormalizer.level(in: event.fields)
            if level == nil, let priority = event.fields["priority"] { level = LevelNormalizer.level(from: priority) }
        }
        if let level { event.fields.set("level", .string(level.rawValue)) }
        return .next
    }
}

/// `type: add`: sets fields to fixed values (`overwrite: false` keeps existing fields and
/// the labels the shipper set).
public struct AddFieldsStep: PipelineStep {
    public let fields: [(name: String, value: String)]
    public let overwrite: Bool

    public init(fields: [(name: String, value: String)], overwrite: Bool = true) {
        self.fields = fields
        self.overwrite = overwrite
    }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        for (name, value) in fields where overwrite || (event.fields[name] == nil && event.labels[name] == nil) {
            event.fields.set(name, .string(value))
        }
        return .next
    }
}

/// `type: rename`: moves fields to new names (a missing source is no error).
public struct RenameFieldsStep: PipelineStep {
    public let renames: [(from: String, to: String)]

    public init(renames: [(from: String, to: String)]) { self.renames = renames }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        for (from, to) in renames {
            if let value = event.fields.remove(from) { event.fields.set(to, value) }
        }
        return .next
    }
}

/// `type: drop`: removes fields (not events: that is `filter`).
public struct DropFieldsStep: PipelineStep {
    public let names: [String]

    public init(names: [String]) { self.names = names }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        for name in names { event.fields.remove(name) }
        return .next
    }
}

/// `type: filter`: keeps only events for which `when` holds (`action: drop` drops those
/// instead).
public struct FilterStep: PipelineStep {
    public let when: Conditions
    public let keepMatching: Bool

    public init(when: Conditions, keepMatching: Bool = true) {
        self.when = when
        self.keepMatching = keepMatching
    }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        when.hold(for: event) == keepMatching ? .next : .drop
    }
}

/// `type: route`: sends events for which `when` holds to another topic (as log events);
/// `keep: true` also stores them here.
public struct RouteStep: PipelineStep {
    public let when: Conditions
    public let topic: String
    public let keep: Bool

    public init(when: Conditions, topic: String, keep: Bool = false) {
        self.when = when
        self.topic = topic
        self.keep = keep
    }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        when.hold(for: event) ? .route(topic: topic, andKeep: keep) : .next
    }
}

/// `type: metric`: logs to metrics. Counts events for which `when` holds (`kind:
/// counter`), or sums a numeric field over them (`kind: sum`), into a metric labelled by
/// the named fields; the aggregator hands the totals to the metric store.
public struct LogsToMetricStep: PipelineStep {
    public enum Kind: String, Sendable, Decodable { case counter, sum }

    public let name: String
    public let kind: Kind
    public let when: Conditions
    public let valueField: String?
    public let labelNames: [String]

    public init(name: String, kind: Kind, when: Conditions, valueField: String?, labelNames: [String]) {
        self.name = name
        self.kind = kind
        self.when = when
        self.valueField = valueField
        self.labelNames = labelNames
    }

    public func apply(to event: inout PipelineEvent, metrics: inout LogMetricsAggregator) -> StepOutcome {
        guard when.hold(for: event) else { return .next }
        var labels = Labels()
        for labelName in labelNames {
            if let value = event.fields[labelName]?.text ?? event.labels[labelName] { labels[labelName] = value }
        }
        switch kind {
        case .counter:
            metrics.add(name: name, labels: labels, value: 1)
        case .sum:
            if let value = FieldCondition.number(valueField.flatMap { event.fields[$0] }) {
                metrics.add(name: name, labels: labels, value: value)
            }
        }
        return .next
    }
}
