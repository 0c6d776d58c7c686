import LogQL
import SluiceModel

/// Writes query results in Loki's JSON shapes:
/// - streams: `{"stream":{labels},"values":[["<ns>","<line>"],…]}`
/// - matrix: `{"metric":{labels},"values":[[<seconds>,"<value>"],…]}`
/// - vector: `{"metric":{labels},"value":[<seconds>,"<value>"]}`
/// wrapped in `{"status":"success","data":{"resultType":…,"result":[…],"stats":{…}}}`.
enum LokiResponseEncoder {
    static func encode(_ result: LogQLResult, executionSeconds: Double) -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        writer.raw("{\"status\":\"success\",\"data\":{\"resultType\":")
        switch result {
        case .streams(let streams):
            writer.raw("\"streams\",\"result\":[")
            var entries = 0
            var bytes = 0
            for (index, stream) in streams.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.raw("{\"stream\":")
                stream.labels.writeJSON(to: &writer)
                writer.raw(",\"values\":[")
                for (position, entry) in stream.entries.enumerated() {
                    if position > 0 { writer.raw(",") }
                    writer.raw("[\"")
                    writer.int(entry.timestamp.nanosecondsSinceEpoch)
                    writer.raw("\",")
                    _ = writer.string(bytes: entry.line)
                    writer.raw("]")
                    bytes += entry.line.count
                }
                entries += stream.entries.count
                writer.raw("]}")
            }
            writer.raw("],")
            writeStats(&writer, executionSeconds: executionSeconds, entries: entries, bytes: bytes)
        case .matrix(let series):
            writer.raw("\"matrix\",\"result\":[")
            for (index, one) in series.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.raw("{\"metric\":")
                one.labels.writeJSON(to: &writer)
                writer.raw(",\"values\":[")
                for (position, point) in one.points.enumerated() {
                    if position > 0 { writer.raw(",") }
                    writePoint(&writer, point)
                }
                writer.raw("]}")
            }
            writer.raw("],")
            writeStats(&writer, executionSeconds: executionSeconds, entries: 0, bytes: 0)
        case .vector(let samples):
            writer.raw("\"vector\",\"result\":[")
            for (index, sample) in samples.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.raw("{\"metric\":")
                sample.labels.writeJSON(to: &writer)
                writer.raw(",\"value\":")
                writePoint(&writer, sample.point)
                writer.raw("}")
            }
            writer.raw("],")
            writeStats(&writer, executionSeconds: executionSeconds, entries: 0, bytes: 0)
        }
        writer.raw("}}")
        return writer.bytes
    }

    /// `[1700000000.123,"42"]`: seconds as a JSON number with millisecond precision, the
    /// value as a string (Prometheus's format, which Grafana parses).
    static func writePoint(_ writer: inout JSONWriter, _ point: LogQLPoint) {
        writer.raw("[")
        appendSeconds(&writer.bytes, point.timestamp)
        writer.raw(",\"")
        appendValue(&writer.bytes, point.value)
        writer.raw("\"]")
    }

    static func appendSeconds(_ out: inout [UInt8], _ time: Timestamp) {
        let milliseconds = time.millisecondsSinceEpoch
        let seconds = milliseconds.floorDiv(1000)
        let fraction = milliseconds - seconds * 1000
        out.append(contentsOf: String(seconds).utf8)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            var digits = String(fraction)
            while digits.count < 3 { digits = "0" + digits }
            while digits.hasSuffix("0") { digits.removeLast() }
            out.append(contentsOf: digits.utf8)
        }
    }

    /// Prometheus's float formatting: integers without a fraction, `NaN`, `+Inf`, `-Inf`.
    static func appendValue(_ out: inout [UInt8], _ value: Double) {
        if value.isNaN { out.append(contentsOf: "NaN".utf8); return }
        if value.isInfinite { out.append(contentsOf: (value > 0 ? "+Inf" : "-Inf").utf8); return }
        if value == value.rounded(), value.magnitude < 1e15 {
            out.append(contentsOf: String(Int64(value)).utf8)
        } else {
            out.append(contentsOf: "\(value)".utf8)
        }
    }

    private static func writeStats(_ writer: inout JSONWriter, executionSeconds: Double, entries: Int, bytes: Int) {
        writer.raw("\"stats\":{\"summary\":{\"execTime\":")
        writer.raw(Array("\(executionSeconds)".utf8))
        writer.raw(",\"totalEntriesReturned\":")
        writer.int(Int64(entries))
        writer.raw(",\"totalBytesProcessed\":")
        writer.int(Int64(bytes))
        writer.raw("}}")
    }

    /// `{"status":"success","data":["a","b"]}`
    static func encodeStrings(_ values: [String]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + values.count * 16)
        writer.raw("{\"status\":\"success\",\"data\":[")
        for (index, value) in values.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.string(value)
        }
        writer.raw("]}")
        return writer.bytes
    }
}

extension Int64 {
    fileprivate func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension JSONWriter {
    fileprivate mutating func raw(_ bytes: [UInt8]) { rawBytes(bytes) }
}
