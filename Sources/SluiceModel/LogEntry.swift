/// One stored log line: what the pipeline hands to the log store and what LogQL reads.
///
/// Loki's model: `stream` (the promoted labels) names the stream; `line` is the raw
/// message as it arrived, so `| json` and `| logfmt` at query time see what the
/// application wrote; `metadata` holds every other field the pipeline kept (parsed
/// fields, source fields, the parse-error marker), visible to label filters as Loki 3's
/// structured metadata is.
public struct LogEntry: Sendable, Equatable {
    public var timestamp: Timestamp
    public var stream: Labels
    public var line: [UInt8]
    public var metadata: Labels
    /// Where the record came from; the store indexes each origin once.
    public var origin: RecordOrigin

    public init(timestamp: Timestamp, stream: Labels, line: [UInt8], metadata: Labels = Labels(),
                origin: RecordOrigin) {
        self.timestamp = timestamp
        self.stream = stream
        self.line = line
        self.metadata = metadata
        self.origin = origin
    }

    /// The order every log query returns entries in (forward direction): timestamp, then
    /// stream (by its labels' text), then origin. Backward is exactly the reverse.
    public static func precedes(_ lhs: LogEntry, _ rhs: LogEntry) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        if lhs.stream != rhs.stream { return lhs.stream.sortKey < rhs.stream.sortKey }
        return lhs.origin < rhs.origin
    }
}

/// A record's place in the broker: the identity the store de-duplicates by.
public struct RecordOrigin: Sendable, Hashable, Comparable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public static func < (lhs: RecordOrigin, rhs: RecordOrigin) -> Bool {
        (lhs.topic, lhs.partition, lhs.offset) < (rhs.topic, rhs.partition, rhs.offset)
    }
}

extension Labels {
    /// `{a="1", b="2"}` as Prometheus and Loki print a label set; also the order streams
    /// sort in.
    public var sortKey: String { description }
}

extension Labels: CustomStringConvertible {
    public var description: String {
        var out = "{"
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out += ", " }
            out += pair.name
            out += "=\""
            for character in pair.value.unicodeScalars {
                switch character {
                case "\\": out += "\\\\"
                case "\"": out += "\\\""
                case "\n": out += "\\n"
                default: out.unicodeScalars.append(character)
                }
            }
            out += "\""
        }
        return out + "}"
    }
}
