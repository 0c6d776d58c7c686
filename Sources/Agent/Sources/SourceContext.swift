import Logging
import SluiceModel

/// What every input shares: the agent's host name, the shipper (and through it the
/// checkpoints and the window), the counters, and a logger tagged with the input's name.
struct SourceContext: Sendable {
    let input: String
    let host: String
    let shipper: Shipper
    let counters: AgentCounters
    let logger: Logger

    init(input: String, host: String, shipper: Shipper, counters: AgentCounters, logger: Logger) {
        self.input = input
        self.host = host
        self.shipper = shipper
        self.counters = counters
        var logger = logger
        logger[metadataKey: "input"] = "\(input)"
        self.logger = logger
    }

    var hostKey: [UInt8] { Array(host.utf8) }

    /// A data gap: counted, logged, and sent to `topic` as an event of source `agent`
    /// (`event: data_gap`), so the appliance can chart and alert on it.
    func reportGap(_ description: String, bytes: Int64?, topic: String, labels: Labels, fields: [LogField] = []) async {
        counters.add(.dataGaps)
        if let bytes { counters.add(.dataGapBytes, Int(bytes)) }
        logger.warning("data gap: \(description)")
        let timestamp = currentTimestamp()
        var allFields = [LogField("event", .string("data_gap")), LogField("input", .string(input))] + fields
        if let bytes { allFields.append(LogField("gap_bytes", .int(bytes))) }
        let event = LogEvent(timestamp: timestamp, host: host, source: "agent", message: Array("data gap: \(description)".utf8),
                             fields: allFields, labels: labels)
        await shipper.ship([OutgoingRecord(topic: topic, key: hostKey, value: event.encodeJSON(),
                                           timestampMilliseconds: timestamp.millisecondsSinceEpoch)], key: nil, position: nil)
    }

    /// Splits items into consecutive slices of at most a quarter of the delivery window
    /// (in events and in bytes), so one large read cannot slip past the window in one piece.
    func windowSlices(count: Int, bytes: (Int) -> Int) -> [Range<Int>] {
        let maxEvents = max(1, shipper.window.maxEvents / 4)
        let maxBytes = max(1, shipper.window.maxBytes / 4)
        var slices: [Range<Int>] = []
        var start = 0
        while start < count {
            var end = start
            var total = 0
            while end < count && end - start < maxEvents && (total < maxBytes || end == start) {
                total += bytes(end)
                end += 1
            }
            slices.append(start..<end)
            start = end
        }
        return slices
    }
}
