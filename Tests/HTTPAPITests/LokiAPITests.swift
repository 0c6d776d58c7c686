import Compression
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import LogQL
import SluiceModel
import Testing

/// The Loki endpoints' shapes, errors and limits, and push through the pipeline.
@Suite struct LokiAPITests {
    let base: Int64 = 1_700_000_000_000_000_000

    func pushBody(_ lines: [(Int64, String)], stream: [String: String] = ["job": "api"]) -> ByteBuffer {
        let values = lines.map { [String($0.0), $0.1] }
        let object: [String: Any] = ["streams": [["stream": stream, "values": values]]]
        return ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
    }

    @Test func pushedLinesAreParsedStoredAndQueried() async throws {
        let harness = try LokiAPIHarness()
        try await harness.application().test(.router) { client in
            let plain = pushBody([(base + 1, #"level=error msg="db down" status=500"#), (base + 2, "plain words")])
            var response = try await client.execute(uri: "/loki/api/v1/push", method: .post,
                                                    headers: [.contentType: "application/json"], body: plain)
            #expect(response.status == .noContent)
            let gzipped = try CompressionCodec.gzip.compress(Array(pushBody([(base + 3, "zipped line")], stream: ["job": "zip"]).readableBytesView))
            response = try await client.execute(uri: "/loki/api/v1/push", method: .post,
                                                headers: [.contentType: "application/json", .contentEncoding: "gzip"],
                                                body: ByteBuffer(bytes: gzipped))
            #expect(response.status == .noContent)
            try harness.process()
            response = try await client.execute(uri: "/loki/api/v1/query_range?" + formEncode([
                ("query", #"{job=~"api|zip"}"#), ("start", String(base)), ("end", String(base + 10)), ("direction", "forward")]), method: .get)
            #expect(response.status == .ok)
            guard case .streams(let streams) = try decodeLokiResult(response.body) else { Issue.record("not streams"); return }
            let lines = streams.flatMap(\.entries).sorted { $0.timestamp < $1.timestamp }.map { String(decoding: $0.line, as: UTF8.self) }
            #expect(lines == [#"level=error msg="db down" status=500"#, "plain words", "zipped line"])
            let errorStream = try #require(streams.first { $0.entries.count == 1 && $0.labels["status"] == "500" })
            #expect(errorStream.labels["level"] == "error")
            #expect(errorStream.labels["source"] == "http")
            // Labels and values.
            response = try await client.execute(uri: "/loki/api/v1/labels?" + formEncode([("start", String(base)), ("end", String(base + 10))]), method: .get)
            let names = jsonObject(response.body)["data"] as? [String] ?? []
            #expect(Set(["job", "level", "source"]).isSubset(of: Set(names)))
            response = try await client.execute(uri: "/loki/api/v1/label/job/values?" + formEncode([("start", String(base)), ("end", String(base + 10))]), method: .get)
            #expect(jsonObject(response.body)["data"] as? [String] == ["api", "zip"])
        }
    }

    @Test func badPushBodiesAreRefusedWhole() async throws {
        let harness = try LokiAPIHarness()
        try await harness.application().test(.router) { client in
            for body in [#"{"#, #"{"streams":[{"stream":{"a":"b"},"values":[["1","ok"],["x","bad time"]]}]}"#, #"{"streams":[{"stream":{"a":1},"values":[]}]}"#] {
                let response = try await client.execute(uri: "/loki/api/v1/push", method: .post,
                                                        headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(jsonObject(response.body)["status"] as? String == "error")
            }
            var response = try await client.execute(uri: "/loki/api/v1/push", method: .post,
                                                    headers: [.contentType: "application/x-protobuf"], body: ByteBuffer(string: "x"))
            #expect(response.status == .unsupportedMediaType)
            response = try await client.execute(uri: "/loki/api/v1/push", method: .post,
                                                headers: [.contentType: "application/json", .contentEncoding: "gzip"], body: ByteBuffer(string: "not gzip"))
            #expect(response.status == .badRequest)
            #expect(harness.topics.partitionCount("logs") == nil, "nothing of a refused body was written")
        }
    }

    @Test(arguments: [
        (#"{job="x""#, "col 9"),
        (#"{job="x"} |= "#, "col 14"),
        (#"sum by (level) (count_over_time({job="x"}[5m])"#, "col 47"),
        (#"{job="x"} | status >>= 5"#, "col 21"),
    ])
    func malformedQueriesGet400WithAPosition(query: String, position: String) async throws {
        let harness = try LokiAPIHarness()
        try await harness.application().test(.router) { client in
            let response = try await client.execute(uri: "/loki/api/v1/query_range?" + formEncode([("query", query)]), method: .get)
            #expect(response.status == .badRequest)
            let answer = jsonObject(response.body)
            #expect(answer["status"] as? String == "error")
            #expect(answer["errorType"] as? String == "bad_data")
            let message = answer["error"] as? String ?? ""
            #expect(message.contains(position), "\(message)")
        }
    }

    @Test func limitsAndParametersGetClearErrors() async throws {
        let harness = try LokiAPIHarness()
        try await harness.application().test(.router) { client in
            let cases: [([(String, String)], String)] = [
                ([], "missing parameter 'query'"),
                ([("query", #"{a="b"}"#), ("limit", "6000")], "max entries limit"),
                ([("query", #"{a="b"}"#), ("start", "0")], "query time range exceeds the limit"),
                ([("query", #"{a="b"}"#), ("start", "yesterday")], "invalid parameter 'start'"),
                ([("query", #"{a="b"}"#), ("step", "-5s")], "invalid parameter 'step'"),
                ([("query", #"{a="b"}"#), ("direction", "sideways")], "invalid parameter 'direction'"),
            ]
            for (parameters, expected) in cases {
                let response = try await client.execute(uri: "/loki/api/v1/query_range?" + formEncode(parameters), method: .get)
                #expect(response.status == .badRequest)
                #expect((jsonObject(response.body)["error"] as? String ?? "").contains(expected), "\(String(buffer: response.body))")
            }
            let instant = try await client.execute(uri: "/loki/api/v1/query?" + formEncode([("query", #"{a="b"}"#)]), method: .get)
            #expect(instant.status == .badRequest)
            #expect((jsonObject(instant.body)["error"] as? String ?? "").contains("instant"))
        }
    }

    @Test func exportStreamsEveryEntryInOrder() async throws {
        let harness = try LokiAPIHarness()
        let count = 30_000  // larger than one export chunk and than any query limit
        try harness.produce((0..<count).map { n in
            SluiceModel.LogEvent(timestamp: Timestamp(nanosecondsSinceEpoch: base + Int64(n) * 1000), host: "h", source: "test",
                     message: Array("line \(n), with \"quotes\"".utf8), labels: ["job": "bulk"])
        })
        try harness.process()
        try await harness.application().test(.router) { client in
            let range = [("start", String(base)), ("end", String(base + Int64(count) * 1000))]
            var response = try await client.execute(uri: "/api/sluice/v1/export?" + formEncode([("query", #"{job="bulk"}"#)] + range), method: .get)
            #expect(response.status == .ok)
            let rows = String(buffer: response.body).split(separator: "\n")
            #expect(rows.count == count)
            let first = try JSONSerialization.jsonObject(with: Data(rows[0].utf8)) as! [String: Any]
            #expect(first["line"] as? String == #"line 0, with "quotes""#)
            #expect((first["labels"] as? [String: String])?["job"] == "bulk")
            let last = try JSONSerialization.jsonObject(with: Data(rows[count - 1].utf8)) as! [String: Any]
            #expect(last["line"] as? String == "line \(count - 1), with \"quotes\"")
            response = try await client.execute(uri: "/api/sluice/v1/export?" + formEncode([("query", #"{job="bulk"}"#), ("format", "csv")] + range), method: .get)
            let csv = String(buffer: response.body).split(separator: "\n")
            #expect(csv.count == count + 1)
            #expect(csv[0] == "timestamp,labels,line")
            #expect(csv[1].hasSuffix(#","line 0, with ""quotes""""#), "\(csv[1])")
            response = try await client.execute(uri: "/api/sluice/v1/export?" + formEncode([("query", #"{job="bulk""#)]), method: .get)
            #expect(response.status == .badRequest)
        }
    }

    @Test func operationalEndpoints() async throws {
        let harness = try LokiAPIHarness()
        try harness.produce([SluiceModel.LogEvent(timestamp: Timestamp(nanosecondsSinceEpoch: base), host: "h", source: "t", message: Array("x".utf8))])
        try harness.process()
        try await harness.application().test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("sluice_pipeline_records_consumed_total 1"))
            #expect(metrics.contains("sluice_store_entries_indexed_total 1"))
            #expect(metrics.contains("sluice_pipeline_consumer_lag_records{topic=\"logs\",partition=\"0\"} 0")
                    || metrics.contains("partition=\"1\"} 0"))
        }
    }
}

/// The engine gets the HTTP configuration's limits: raising `max_query_range` or
/// `max_entries_limit` in sluice.yml is not undone by the engine's defaults.
@Suite struct HTTPAPIConfigurationTests {
    @Test func engineLimitsFollowTheConfiguration() throws {
        var configuration = HTTPAPIConfiguration()
        configuration.maxQueryRangeNanoseconds = 1000 * 3_600_000_000_000
        configuration.maxEntriesLimit = 8000
        let engine = LogQLEngine(source: ArrayLogSource([]), limits: configuration.engineLimits)
        let end = Timestamp(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)
        let start = Timestamp(nanosecondsSinceEpoch: end.nanosecondsSinceEpoch - 800 * 3_600_000_000_000)
        #expect(try engine.queryRange(#"{a="b"}"#, start: start, end: end, stepNanoseconds: 3_600_000_000_000,
                                      limit: 7000, direction: .backward) == .streams([]))
        let defaults = LogQLEngine(source: ArrayLogSource([]))
        #expect(throws: LogQLLimitError.self) {
            try defaults.queryRange(#"{a="b"}"#, start: start, end: end, stepNanoseconds: 3_600_000_000_000, limit: 100, direction: .backward)
        }
    }
}
