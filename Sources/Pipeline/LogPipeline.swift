import SluiceModel

/// A configured pipeline: its steps, then label promotion. Turns each consumed record
/// into what happens to it: stored as a log entry, routed, or dropped by a filter.
/// A value shared by workers; the per-worker state is the metrics aggregator.
public struct LogPipeline: Sendable {
    public let name: String
    public let topics: [String]
    public let steps: [any PipelineStep]
    /// Fields that become stream labels (the rest stay structured metadata).
    public let labelNames: [String]

    public static let defaultLabelNames = ["host", "source", "service", "level", "unit", "file"]

    public init(name: String, topics: [String], steps: [any PipelineStep], labelNames: [String] = defaultLabelNames) {
        self.name = name
        self.topics = topics
        self.steps = steps
        self.labelNames = labelNames
    }

    /// What became of one record.
    public enum Outcome: Sendable {
        case store(LogEntry)
        /// Routed to other topics; `entry` is set when the event is also kept here.
        case routed([(topic: String, event: PipelineEvent)], keep: LogEntry?)
        case dropped
    }

    public func process(_ event: PipelineEvent, origin: RecordOrigin, metrics: inout LogMetricsAggregator) -> Outcome {
        var event = event
        var routes: [(topic: String, event: PipelineEvent)] = []
        for step in steps {
            switch step.apply(to: &event, metrics: &metrics) {
            case .next: continue
            case .drop: return routes.isEmpty ? .dropped : .routed(routes, keep: nil)
            case .route(let topic, let andKeep):
                routes.append((topic, event))
                if !andKeep { return .routed(routes, keep: nil) }
            }
        }
        let entry = makeEntry(event, origin: origin)
        return routes.isEmpty ? .store(entry) : .routed(routes, keep: entry)
    }

    /// Promotes the configured fields to stream labels; every other field becomes
    /// structured metadata under a Loki-valid name (`http.status` → `http_status`).
    public func makeEntry(_ event: PipelineEvent, origin: RecordOrigin) -> LogEntry {
        var stream = event.labels
        var metadata: [(name: String, value: String)] = []
        metadata.reserveCapacity(event.fields.count)
        for field in event.fields {
            if case .null = field.value { continue }
            let name = Self.labelName(field.name)
            if labelNames.contains(name) {
                // Loki drops empty-valued labels: an empty value means "no such label".
                let value = field.value.text
                if !value.isEmpty { stream[name] = value }
            } else {
                metadata.append((name, field.value.text))
            }
        }
        // A name the producer set as a label stays a label only.
        if !event.labels.isEmpty { metadata.removeAll { stream[$0.name] != nil } }
        return LogEntry(timestamp: event.timestamp, stream: stream, line: event.message,
                        metadata: Labels(unsortedPairs: metadata), origin: origin)
    }

    /// A Prometheus/Loki label name: `[a-zA-Z_][a-zA-Z0-9_]*`, other bytes as `_`.
    public static func labelName(_ name: String) -> String {
        var valid = !name.isEmpty
        var first = true
        for byte in name.utf8 {
            if !isNameByte(byte, first: first) {
                valid = false
                break
            }
            first = false
        }
        if valid { return name }
        var out = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            out.unicodeScalars.append(scalar.isASCII && isNameByte(UInt8(scalar.value), first: index == 0) ? scalar : "_")
        }
        return out.isEmpty ? "_" : out
    }

    private static func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || byte == 95 || (!first && byte >= 48 && byte <= 57)
    }
}
