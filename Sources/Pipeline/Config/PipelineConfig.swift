import SluiceModel

/// One pipeline in `sluice.yml` under `pipelines:`:
///
/// ```yaml
/// - name: logs                 # required, unique
///   topics: [logs]             # topics consumed (default: [logs])
///   labels: [host, source, service, level, unit, file]   # promoted to stream labels
///   steps:                     # run in order; see StepConfig for each type
///     - {type: parse, format: auto}
///     - {type: timestamp}
///     - {type: level}
/// ```
/// Unknown keys are refused with their path.
public struct PipelineConfig: Sendable, Decodable {
    public var name: String
    public var topics: [String]
    public var labels: [String]
    public var steps: [StepConfig]

    enum CodingKeys: String, CodingKey, CaseIterable { case name, topics, labels, steps }

    public init(name: String, topics: [String] = ["logs"], labels: [String] = LogPipeline.defaultLabelNames,
                steps: [StepConfig] = PipelineConfig.defaultSteps) {
        self.name = name
        self.topics = topics
        self.labels = labels
        self.steps = steps
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        topics = try container.decodeIfPresent([String].self, forKey: .topics) ?? ["logs"]
        labels = try container.decodeIfPresent([String].self, forKey: .labels) ?? LogPipeline.defaultLabelNames
        steps = try container.decodeIfPresent([StepConfig].self, forKey: .steps) ?? Self.defaultSteps
    }

    /// What the embedded `logs` pipeline runs: auto-detect the format, take event time and
    /// level from it, drop journald's per-entry cursor (unique per line, useless to query by).
    public static let defaultSteps: [StepConfig] = [
        .parse(format: "auto", pattern: nil, field: "message"),
        .timestamp(field: nil),
        .level(field: nil),
        .drop(names: ["cursor"]),
    ]

    /// The embedded default: one pipeline from `logs` into the store.
    public static let embeddedDefault = [PipelineConfig(name: "logs")]

    /// Builds the running pipeline; throws on values that decode but cannot work.
    public func build() throws -> LogPipeline {
        guard !name.isEmpty else { throw PipelineConfigError("a pipeline needs a name") }
        guard !topics.isEmpty else { throw PipelineConfigError("pipeline \(name): topics is empty") }
        let built = try steps.enumerated().map { index, step in
            do { return try step.build() } catch let error as PipelineConfigError {
                throw PipelineConfigError("pipeline \(name), step \(index + 1): \(error.description)")
            }
        }
        return LogPipeline(name: name, topics: topics, steps: built, labelNames: labels.map(LogPipeline.labelName))
    }
}

/// One step's configuration, told apart by `type`. The registry of step types is
/// `StepConfig.types`; each case documents its keys.
public enum StepConfig: Sendable, Decodable {
    /// `{type: parse, format: auto|json|logfmt|rfc5424|rfc3164|combined|common|regex, pattern: <regex with named captures>, field: message}`
    case parse(format: String, pattern: String?, field: String)
    /// `{type: timestamp, field: <name>}` (default: the parser's time, then time-named fields)
    case timestamp(field: String?)
    /// `{type: level, field: <name>}` (default: the parser's level, level-named fields, syslog priority)
    case level(field: String?)
    /// `{type: add, fields: {name: value, …}, overwrite: true}`
    case add(fields: [(name: String, value: String)], overwrite: Bool)
    /// `{type: rename, fields: {from: to, …}}`
    case rename(fields: [(from: String, to: String)])
    /// `{type: drop, fields: [name, …]}`
    case drop(names: [String])
    /// `{type: filter, when: <condition or list>, action: keep|drop}` (default keep)
    case filter(when: Conditions, keepMatching: Bool)
    /// `{type: route, when: <condition or list>, topic: <name>, keep: false}`
    case route(when: Conditions, topic: String, keep: Bool)
    /// `{type: metric, name: <metric>, kind: counter|sum, when: <conditions>, field: <number field for sum>, labels: [names]}`
    case metric(name: String, kind: LogsToMetricStep.Kind, when: Conditions, field: String?, labels: [String])

    /// Every step type and the keys it takes: the one registry of components.
    public static let types: [String: [String]] = [
        "parse": ["type", "format", "pattern", "field"],
        "timestamp": ["type", "field"],
        "level": ["type", "field"],
        "add": ["type", "fields", "overwrite"],
        "rename": ["type", "fields"],
        "drop": ["type", "fields"],
        "filter": ["type", "when", "action"],
        "route": ["type", "when", "topic", "keep"],
        "metric": ["type", "name", "kind", "when", "field", "labels"],
    ]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        let type = try container.decode(String.self, forKey: key("type"))
        guard let allowed = Self.types[type] else {
            throw DecodingError.dataCorruptedError(forKey: key("type"), in: container,
                debugDescription: "unknown step type '\(type)' (known: \(Self.types.keys.sorted().joined(separator: ", ")))")
        }
        try decoder.refuseUnknownKeys(allowed: allowed)
        func string(_ name: String) throws -> String? { try container.decodeIfPresent(String.self, forKey: key(name)) }
        func ordered(_ name: String) throws -> [(String, String)] {
            // YAML mappings keep their order through a nested keyed container's allKeys.
            let nested = try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: key(name))
            return try nested.allKeys.map { ($0.stringValue, try nested.decode(String.self, forKey: $0)) }
        }
        let always = Conditions([])
        switch type {
        case "parse":
            self = .parse(format: try string("format") ?? "auto", pattern: try string("pattern"), field: try string("field") ?? "message")
        case "timestamp": self = .timestamp(field: try string("field"))
        case "level": self = .level(field: try string("field"))
        case "add":
            self = .add(fields: try ordered("fields").map { (name: $0.0, value: $0.1) },
                        overwrite: try container.decodeIfPresent(Bool.self, forKey: key("overwrite")) ?? true)
        case "rename": self = .rename(fields: try ordered("fields").map { (from: $0.0, to: $0.1) })
        case "drop": self = .drop(names: try container.decode([String].self, forKey: key("fields")))
        case "filter":
            let action = try string("action") ?? "keep"
            guard action == "keep" || action == "drop" else {
                throw DecodingError.dataCorruptedError(forKey: key("action"), in: container, debugDescription: "action must be keep or drop, not '\(action)'")
            }
            self = .filter(when: try container.decode(Conditions.self, forKey: key("when")), keepMatching: action == "keep")
        case "route":
            self = .route(when: try container.decodeIfPresent(Conditions.self, forKey: key("when")) ?? always,
                          topic: try container.decode(String.self, forKey: key("topic")),
                          keep: try container.decodeIfPresent(Bool.self, forKey: key("keep")) ?? false)
        default:
            self = .metric(name: try container.decode(String.self, forKey: key("name")),
                           kind: try container.decodeIfPresent(LogsToMetricStep.Kind.self, forKey: key("kind")) ?? .counter,
                           when: try container.decodeIfPresent(Conditions.self, forKey: key("when")) ?? always,
                           field: try string("field"), labels: try container.decodeIfPresent([String].self, forKey: key("labels")) ?? [])
        }
    }

    public func build() throws -> any PipelineStep {
        switch self {
        case .parse(let format, let pattern, let field):
            if format == "auto" {
                guard pattern == nil else { throw PipelineConfigError("pattern is only for format: regex") }
                return ParseStep(parser: AutoDetectParser(), formatName: "auto", field: field)
            }
            guard let known = LogFormat(rawValue: format) else {
                throw PipelineConfigError("unknown format '\(format)' (known: auto, \(LogFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if known == .regex {
                guard let pattern else { throw PipelineConfigError("format: regex needs a pattern") }
                do { return ParseStep(parser: try RegexParser(pattern: pattern), formatName: format, field: field) } catch {
                    throw PipelineConfigError("\(error)")
                }
            }
            guard pattern == nil else { throw PipelineConfigError("pattern is only for format: regex") }
            return ParseStep(parser: known.makeParser()!, formatName: format, field: field)
        case .timestamp(let field): return TimestampStep(field: field)
        case .level(let field): return LevelStep(field: field)
        case .add(let fields, let overwrite): return AddFieldsStep(fields: fields, overwrite: overwrite)
        case .rename(let fields): return RenameFieldsStep(renames: fields)
        case .drop(let names): return DropFieldsStep(names: names)
        case .filter(let when, let keepMatching): return FilterStep(when: when, keepMatching: keepMatching)
        case .route(let when, let topic, let keep):
            guard !topic.isEmpty else { throw PipelineConfigError("route needs a topic") }
            return RouteStep(when: when, topic: topic, keep: keep)
        case .metric(let name, let kind, let when, let field, let labels):
            guard LogPipeline.labelName(name) == name else { throw PipelineConfigError("metric name '\(name)' is not a valid Prometheus name") }
            if kind == .sum, field == nil { throw PipelineConfigError("metric \(name): kind sum needs a field") }
            return LogsToMetricStep(name: name, kind: kind, when: when, valueField: field, labelNames: labels)
        }
    }
}
