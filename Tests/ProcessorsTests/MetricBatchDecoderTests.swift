import SluiceModel
import Testing
import TestSupport
@testable import Processors

@Suite struct MetricBatchDecoderTests {
    func decode(_ text: String) throws -> (MetricBatchDecoder.Batch, [UInt8]) {
        let bytes = Array(text.utf8)
        return (try bytes.withUnsafeBytes { try MetricBatchDecoder.decode($0) }, bytes)
    }

    @Test func decodesWhatMetricBatchWrites() throws {
        var random = SplitMix64(seed: 5)
        var samples: [MetricSample] = []
        for index in 0..<500 {
            let value: Double = switch index % 6 {
            case 0: Double(bitPattern: random.next() & 0xBFFF_FFFF_FFFF_FFFF)  // finite, any magnitude
            case 1: Double(Int.random(in: -1_000_000_000...1_000_000_000, using: &random)) / 100
            case 2: [.nan, .infinity, -.infinity, 0, -0.0, 1e300, .leastNonzeroMagnitude].randomElement(using: &random)!
            case 3: Double(Int64.random(in: -(1 << 53)...(1 << 53), using: &random))
            default: Double.random(in: -1e6...1e6, using: &random)
            }
            samples.append(MetricSample(name: "m_\(index % 7)", labels: ["i": "\(index)", "q": "a\"b\\c\n\u{e9}"], value: value))
        }
        let batch = MetricBatch(timestamp: Timestamp(nanosecondsSinceEpoch: 1_795_000_000_123_456_789), host: "web-\"1\"", samples: samples)
        let (decoded, bytes) = try decode(String(decoding: batch.encodeJSON(), as: UTF8.self))
        #expect(decoded.timestamp == 1_795_000_000_123)
        bytes.withUnsafeBytes { raw in
            #expect(decoded.host.map { MetricBatchDecoder.string(raw, in: $0) } == "web-\"1\"")
            #expect(decoded.samples.count == samples.count)
            for (got, sample) in zip(decoded.samples, samples) {
                #expect(MetricBatchDecoder.string(raw, in: got.name) == sample.name)
                #expect(Labels(unsortedPairs: MetricBatchDecoder.labels(raw, in: got.labels)) == sample.labels)
                if sample.value.isNaN {
                    #expect(got.value.isNaN)
                } else {
                    #expect(got.value.bitPattern == sample.value.bitPattern || (got.value == 0 && sample.value == 0),
                            "\(sample.value) came back as \(got.value)")
                }
            }
        }
    }

    @Test func acceptsAnyKeyOrderUnknownKeysAndWhitespace() throws {
        let (batch, bytes) = try decode("""
         { "samples" : [ { "value" : "-Inf", "extra": [1, {"a": null}, true], "labels" : { "b" : "2" , "a":"1" }, "name" : "x" },
                         {"name":"y","value":-1.5e3} ],
           "other": {"nested": [false]}, "host": "h", "timestamp": "2026-01-02T03:04:05.5+01:00" }
        """)
        #expect(batch.timestamp == Timestamp(rfc3339: "2026-01-02T02:04:05.5Z")?.millisecondsSinceEpoch)
        #expect(batch.samples.map(\.value) == [-.infinity, -1500])
        bytes.withUnsafeBytes { raw in
            #expect(Labels(unsortedPairs: MetricBatchDecoder.labels(raw, in: batch.samples[0].labels)) == ["a": "1", "b": "2"])
            #expect(batch.samples[1].labels.isEmpty)
        }
        // Same name and labels bytes, same hash; different bytes, different hash.
        let (again, _) = try decode(#"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x","labels":{ "b" : "2" , "a":"1" },"value":1},{"name":"x","labels":{"b":"2","a":"1"},"value":1}]}"#)
        #expect(again.samples[0].hash == batch.samples[0].hash)
        #expect(again.samples[1].hash != batch.samples[0].hash)
        #expect(again.host == nil)
    }

    @Test func refusesWhatIsNotABatch() {
        let bad = [
            "", "null", "[]", "{}", "plain text line",
            #"{"timestamp":"yesterday","samples":[]}"#,
            #"{"timestamp":"2026-01-02T03:04:05Z"}"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x"}]}"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"value":1}]}"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x","value":"Infinity"}]}"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x","value":1,"labels":{"a":1}}]}"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x","value":1.}]}"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x","value":1}]"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x","value":1}]} trailing"#,
            #"{"timestamp":"2026-01-02T03:04:05Z","samples":[{"name":"x,"value":1}]}"#,
        ]
        for text in bad {
            #expect(throws: MetricBatchDecodingError.self, "\(text)") { _ = try decode(text) }
        }
    }

    @Test func randomTruncationsAndByteFlipsNeverCrash() throws {
        var random = SplitMix64(seed: 11)
        let batch = MetricBatch(timestamp: Timestamp(nanosecondsSinceEpoch: 1_795_000_000_000_000_000), host: "h",
                                samples: (0..<20).map { MetricSample(name: "m", labels: ["k": "\($0)"], value: Double($0) / 3) })
        let bytes = batch.encodeJSON()
        for _ in 0..<2000 {
            var mutated = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            if !mutated.isEmpty, Bool.random(using: &random) {
                mutated[Int.random(in: 0..<mutated.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            _ = try? mutated.withUnsafeBytes { try MetricBatchDecoder.decode($0) }
        }
    }
}
