import SluiceModel
import Testing

@Suite struct LogEventTests {
    @Test func encodesTheSpecShape() {
        let event = LogEvent(
            timestamp: Timestamp(nanosecondsSinceEpoch: 1_000_000_001), host: "web-1", source: "file",
            message: Array("GET / 200".utf8),
            fields: [LogField("file", .string("/var/log/a.log")), LogField("offset", .int(42))],
            labels: ["service": "nginx", "env": "prod"])
        #expect(String(decoding: event.encodeJSON(), as: UTF8.self) ==
            #"{"timestamp":"1970-01-01T00:00:01.000000001Z","host":"web-1","source":"file","message":"GET / 200","file":"/var/log/a.log","offset":42,"labels":{"env":"prod","service":"nginx"}}"#)
    }

    @Test func marksInvalidUTF8() {
        let event = LogEvent(timestamp: Timestamp(nanosecondsSinceEpoch: 0), host: "h", source: "file", message: [0x61, 0xFF])
        #expect(String(decoding: event.encodeJSON(), as: UTF8.self).hasSuffix(#""message":"a\\xff","invalid_utf8":true}"#))
    }

    @Test func metricBatch() {
        let batch = MetricBatch(timestamp: Timestamp(nanosecondsSinceEpoch: 0), host: "h", samples: [
            MetricSample(name: "node_load1", value: 0.5),
            MetricSample(name: "node_cpu_seconds_total", labels: ["cpu": "0", "mode": "idle"], value: 12),
        ])
        #expect(String(decoding: batch.encodeJSON(), as: UTF8.self) ==
            #"{"timestamp":"1970-01-01T00:00:00.000000000Z","host":"h","samples":[{"name":"node_load1","labels":{},"value":0.5},{"name":"node_cpu_seconds_total","labels":{"cpu":"0","mode":"idle"},"value":12}]}"#)
    }
}
