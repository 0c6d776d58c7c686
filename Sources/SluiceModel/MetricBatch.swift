/// One sample: a metric name (node_exporter's conventions), its labels, and a value.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    public var labels: Labels
    public var value: Double

    public init(name: String, labels: Labels = Labels(), value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}

/// What an agent sends to the `metrics` topic (SPEC §3): `timestamp`, `host`, and
/// `samples` as `{name, labels, value}`. Record key: host; record timestamp: `timestamp`.
public struct MetricBatch: Sendable, Equatable {
    public var timestamp: Timestamp
    public var host: String
    public var samples: [MetricSample]

    public init(timestamp: Timestamp, host: String, samples: [MetricSample]) {
        self.timestamp = timestamp
        self.host = host
        self.samples = samples
    }

    public func encodeJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + samples.count * 80)
        writer.raw("{\"timestamp\":\"")
        timestamp.appendRFC3339(to: &writer.bytes)
        writer.raw("\",\"host\":")
        writer.string(host)
        writer.raw(",\"samples\":[")
        for (index, sample) in samples.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.raw("{\"name\":")
            writer.string(sample.name)
            writer.raw(",\"labels\":")
            sample.labels.writeJSON(to: &writer)
            writer.raw(",\"value\":")
            writer.double(sample.value)
            writer.raw(UInt8(ascii: "}"))
        }
        writer.raw("]}")
        return writer.bytes
    }
}
