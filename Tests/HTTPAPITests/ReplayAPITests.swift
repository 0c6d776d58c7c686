import Broker
import CommitLog
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import LogQL
import LogStore
import Logging
import Processors
import Replay
import SluiceModel
import Testing
import TestSupport

/// `POST /api/sluice/v1/replay` in process: the NDJSON stream of a backtest, and refusals
/// in Prometheus's error shape before the stream begins.
@Suite struct ReplayAPITests {
    static let base: Int64 = 1_795_003_200_000

    final class Harness: @unchecked Sendable {
        let directory = TemporaryDirectory("replay-api")
        let topics: TopicStore
        let logStore: LogStore
        let replay: ReplayService

        init() throws {
            topics = TopicStore(logs: try LogDirectory(path: directory.sub("log")))
            logStore = try LogStore(configuration: LogStoreConfiguration(directory: directory.sub("store")),
                                    now: { Timestamp(nanosecondsSinceEpoch: ReplayAPITests.base * 1_000_000) })
            let writer = LocalTopicWriter(topics: topics, defaultPartitions: 1)
            replay = ReplayService(topics: topics, writer: writer,
                                   configuration: ReplayService.Configuration(temporaryDirectory: directory.sub("replay")),
                                   logger: Logger(label: "test"))
            // One host, load 20 from +2m, every 10 s for 10 minutes.
            let records = (0..<60).map { step -> LocalTopicWriter.OutgoingRecord in
                let time = base + Int64(step) * 10_000
                let batch = MetricBatch(timestamp: Timestamp(nanosecondsSinceEpoch: time * 1_000_000), host: "web-1",
                                        samples: [MetricSample(name: "node_load1", value: step >= 12 ? 20 : 1)])
                return (key: Array("web-1".utf8), value: batch.encodeJSON(), timestampMilliseconds: time)
            }
            try writer.append(topic: "metrics", records: records, durable: false)
        }

        func application() -> some ApplicationProtocol {
            var dependencies = HTTPAPIDependencies(
                engine: LogQLEngine(source: logStore), source: logStore,
                writer: LocalTopicWriter(topics: topics, defaultPartitions: 1), metrics: [],
                isReady: { true }, now: { Timestamp(nanosecondsSinceEpoch: ReplayAPITests.base * 1_000_000) })
            dependencies.replay = replay
            return Application(router: HTTPServer.makeRouter(dependencies: dependencies, configuration: HTTPAPIConfiguration()))
        }
    }

    static func body(from: String, to: String, rules: String) -> ByteBuffer {
        let object: [String: Any] = ["topic": "metrics", "from": from, "to": to, "rules": [["name": "load.yml", "content": rules]]]
        return ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static let rules = """
    groups:
      - name: node
        interval: 10s
        rules:
          - alert: HighLoad
            expr: node_load1 > 10
            for: 1m
    """

    @Test func aBacktestIsStreamedAsNDJSON() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/sluice/v1/replay", method: .post,
                                                    headers: [.contentType: "application/json"],
                                                    body: Self.body(from: "2026-11-18T12:00:00Z", to: "2026-11-18T12:09:50Z", rules: Self.rules))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/x-ndjson")
            let lines = String(buffer: response.body).split(separator: "\n").map(String.init)
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects.count == lines.count)
            #expect(objects.first?["type"] as? String == "progress")
            let transitions = lines.filter { $0.hasPrefix("{\"type\":\"transition\"") }
            #expect(transitions == [
                #"{"type":"transition","time":"2026-11-18T12:02:00Z","rule":"HighLoad","group":"node","file":"load.yml","labels":{"alertname":"HighLoad","host":"web-1"},"from":"inactive","to":"pending","value":20}"#,
                #"{"type":"transition","time":"2026-11-18T12:03:00Z","rule":"HighLoad","group":"node","file":"load.yml","labels":{"alertname":"HighLoad","host":"web-1"},"from":"pending","to":"firing","value":20}"#,
            ])
            #expect(lines.contains(#"{"type":"summary","rule":"HighLoad","group":"node","file":"load.yml","transitions":2,"fired":1,"resolved":0,"flaps":0,"errors":0}"#))
            let done = try #require(objects.last)
            #expect(done["type"] as? String == "done" && done["records"] as? Int == 60 && done["evaluations"] as? Int == 60)
        }
    }

    @Test func mistakesAreErrorsInPrometheusShape() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            func check(_ body: ByteBuffer, status: HTTPResponse.Status, type: String, message: String) async throws {
                let response = try await client.execute(uri: "/api/sluice/v1/replay", method: .post,
                                                        headers: [.contentType: "application/json"], body: body)
                #expect(response.status == status)
                let object = jsonObject(response.body)
                #expect(object["status"] as? String == "error")
                #expect(object["errorType"] as? String == type)
                let error = object["error"] as? String ?? ""
                #expect(error.contains(message), "\(error)")
            }
            try await check(ByteBuffer(string: "{"), status: .badRequest, type: "bad_data", message: "invalid JSON")
            try await check(ByteBuffer(string: #"{"from":"2026-11-18T12:00:00Z"}"#), status: .badRequest, type: "bad_data",
                            message: "'to' is missing")
            try await check(ByteBuffer(string: #"{"from":"yesterday","to":1}"#), status: .badRequest, type: "bad_data",
                            message: "invalid 'from'")
            try await check(ByteBuffer(string: #"{"from":1,"to":2,"rules":[],"extra":1}"#), status: .badRequest, type: "bad_data",
                            message: "unknown field 'extra'")
            try await check(Self.body(from: "2026-11-18T12:00:00Z", to: "2026-11-19T09:10:00Z", rules: "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: rate(x)\n"),
                            status: .badRequest, type: "bad_data", message: "load.yml: 5:15: group \"x\", rule 1, \"A\": could not parse expression")
            try await check(ByteBuffer(string: #"{"topic":"nope","from":1,"to":2,"into_topic":"x"}"#), status: .notFound,
                            type: "not_found", message: "no topic named 'nope'")
        }
    }
}
