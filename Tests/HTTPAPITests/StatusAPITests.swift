import Broker
import CommitLog
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import LogQL
import LogStore
import Processors
import SluiceModel
import Testing
import TestSupport

/// The UI's own endpoints in process: status, alert history, dashboards and the static
/// files; and the `/metrics` text read back for self-scraping.
@Suite struct StatusAPITests {
    static let base: Int64 = 1_795_003_200_000

    final class Harness: @unchecked Sendable {
        let directory = TemporaryDirectory("status-api")
        let topics: TopicStore
        let logStore: LogStore
        let writer: LocalTopicWriter
        var configuration = HTTPAPIConfiguration()

        init() throws {
            topics = TopicStore(logs: try LogDirectory(path: directory.sub("log")))
            logStore = try LogStore(configuration: LogStoreConfiguration(directory: directory.sub("store")),
                                    now: { Timestamp(nanosecondsSinceEpoch: StatusAPITests.base * 1_000_000) })
            writer = LocalTopicWriter(topics: topics, defaultPartitions: 1)
        }

        var status: StatusDependencies {
            StatusDependencies(
                topics: topics,
                consumerGroups: { [ConsumerGroupSummary(groupId: "reporting", state: "Empty", members: 0,
                                                        committed: [(TopicPartition(topic: "logs", partition: 0), 2)])] },
                internalConsumers: { [InternalConsumerLag(name: "sluice log pipelines", lag: [(TopicPartition(topic: "logs", partition: 0), 1)])] },
                agentsLastSeen: { ["web-2": StatusAPITests.base - 5000, "web-1": StatusAPITests.base - 1000] })
        }

        func application() -> some ApplicationProtocol {
            var dependencies = HTTPAPIDependencies(
                engine: LogQLEngine(source: logStore), source: logStore, writer: writer, metrics: [],
                isReady: { true }, now: { Timestamp(nanosecondsSinceEpoch: StatusAPITests.base * 1_000_000) })
            dependencies.status = status
            return Application(router: HTTPServer.makeRouter(dependencies: dependencies, configuration: configuration))
        }

        func json(_ client: some TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, [String: Any]) {
            let response = try await client.execute(uri: uri, method: .get)
            let object = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
            return (response.status, object ?? [:])
        }
    }

    static func record(_ text: String, at time: Int64) -> LocalTopicWriter.OutgoingRecord {
        (key: nil, value: Array(text.utf8), timestampMilliseconds: time)
    }

    @Test func statusListsTopicsConsumersWithLagAndAgents() async throws {
        let harness = try Harness()
        try harness.writer.append(topic: "logs", records: (0..<3).map { Self.record("line \($0)", at: Self.base + Int64($0)) }, durable: true)
        try await harness.application().test(.router) { client in
            let (status, body) = try await harness.json(client, "/api/sluice/v1/status")
            #expect(status == .ok)
            let data = try #require(body["data"] as? [String: Any])
            #expect(data["now"] as? String == "2026-11-18T12:00:00.000000000Z")
            let topics = try #require(data["topics"] as? [[String: Any]])
            #expect(topics.map { $0["name"] as? String } == ["logs"])
            let partition = try #require((topics[0]["partitions"] as? [[String: Any]])?.first)
            #expect(partition["log_start_offset"] as? Int == 0 && partition["log_end_offset"] as? Int == 3)
            #expect((partition["size_bytes"] as? Int ?? 0) > 0 && partition["segments"] as? Int == 1)
            let consumers = try #require(data["consumers"] as? [[String: Any]])
            #expect(consumers.map { $0["group"] as? String } == ["sluice log pipelines", "reporting"])
            #expect(consumers.map { $0["kind"] as? String } == ["internal", "kafka"])
            let lags = consumers.map { ($0["partitions"] as? [[String: Any]])?.first }
            #expect(lags.map { $0?["committed"] as? Int } == [2, 2])
            #expect(lags.map { $0?["lag"] as? Int } == [1, 1])
            let agents = try #require(data["agents"] as? [[String: Any]])
            #expect(agents.map { $0["host"] as? String } == ["web-1", "web-2"])
            #expect(agents.map { $0["last_seen"] as? String } == ["2026-11-18T11:59:59.000000000Z", "2026-11-18T11:59:55.000000000Z"])
        }
    }

    @Test func alertHistoryIsNewestFirstAndShowsWhatItCannotRead() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            let (empty, emptyBody) = try await harness.json(client, "/api/sluice/v1/alerts/history")
            #expect(empty == .ok && ((emptyBody["data"] as? [String: Any])?["entries"] as? [Any])?.isEmpty == true)
        }
        try harness.writer.append(topic: "alerts", records: [
            Self.record(#"{"timestamp":"2026-11-18T11:00:00Z","rule":"HighLoad","from":"inactive","to":"pending","value":20}"#, at: Self.base - 3_600_000),
            Self.record(#"{"timestamp":"2026-11-18T11:01:00Z","rule":"HighLoad","from":"pending","to":"firing","value":21}"#, at: Self.base - 3_540_000),
            Self.record(#"{"type":"dead_letter","receiver":"hook"}"#, at: Self.base - 3_000_000),
            Self.record("not json", at: Self.base - 1_000),
        ], durable: true)
        try await harness.application().test(.router) { client in
            let (status, body) = try await harness.json(client, "/api/sluice/v1/alerts/history?limit=3")
            #expect(status == .ok)
            let entries = try #require((body["data"] as? [String: Any])?["entries"] as? [[String: Any]])
            #expect(entries.map { $0["offset"] as? Int } == [3, 2, 1])
            #expect(entries.map { $0["type"] as? String } == ["unreadable", "dead_letter", "transition"])
            #expect(entries[0]["text"] as? String == "not json")
            #expect(entries[2]["to"] as? String == "firing" && entries[2]["value"] as? Double == 21)
            let (refused, error) = try await harness.json(client, "/api/sluice/v1/alerts/history?limit=lots")
            #expect(refused == .badRequest)
            #expect((error["error"] as? String)?.contains("limit") == true)
        }
    }

    @Test func dashboardsAreListedServedAndCheckedWithThePlaceOfEachMistake() async throws {
        let harness = try Harness()
        let folder = harness.directory.sub("dashboards")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let good = #"{"title":"Hosts","description":"every host","variables":[{"name":"host","values":{"label":"host","match":"node_load1"}}],"panels":[{"title":"Load","type":"line","unit":"short","query":"node_load1{host=~\"$host\"}","width":12}]}"#
        try good.write(toFile: folder + "/hosts.json", atomically: true, encoding: .utf8)
        try #"{"title":"Logs","panels":[{"title":"Lines","type":"logs","query":"{host=\"$server\"}","language":"logql"}]}"#
            .write(toFile: folder + "/logs.json", atomically: true, encoding: .utf8)
        try #"{"title":"Broken""#.write(toFile: folder + "/torn.json", atomically: true, encoding: .utf8)
        harness.configuration.dashboardsDirectory = folder
        try await harness.application().test(.router) { client in
            let (status, list) = try await harness.json(client, "/api/sluice/v1/dashboards")
            #expect(status == .ok)
            let entries = try #require(list["data"] as? [[String: Any]])
            #expect(entries.map { $0["name"] as? String } == ["hosts", "logs", "torn"])
            #expect(entries[0]["title"] as? String == "Hosts" && entries[0]["error"] == nil)
            #expect((entries[1]["error"] as? String)?.hasSuffix("logs.json: panels[0].query: uses $server, which is not among the variables") == true)
            #expect((entries[2]["error"] as? String)?.contains("invalid JSON") == true)

            let response = try await client.execute(uri: "/api/sluice/v1/dashboards/hosts", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"status":"success","data":"# + good + "}")
            let (broken, error) = try await harness.json(client, "/api/sluice/v1/dashboards/logs")
            #expect(broken == .badRequest && error["errorType"] as? String == "bad_data")
            let (missing, _) = try await harness.json(client, "/api/sluice/v1/dashboards/nothing")
            #expect(missing == .notFound)
        }
    }

    @Test(arguments: [
        (#"{"panels":[]}"#, "title: a non-empty string is required"),
        (#"{"title":"x"}"#, "panels: a non-empty list is required"),
        (#"{"title":"x","panels":[{"title":"p","type":"line","unit":"furlongs","query":"up"}]}"#, "panels[0].unit: 'furlongs' is not one of"),
        (#"{"title":"x","panels":[{"title":"p","type":"logs","query":"{a=\"b\"}"}]}"#, "panels[0].type: a logs panel needs \"language\": \"logql\""),
        (#"{"title":"x","panels":[{"title":"p","type":"line","query":"up","width":13}]}"#, "panels[0].width: must be a whole number of columns from 1 to 12"),
        (#"{"title":"x","variables":[{"name":"1st","values":{"label":"host"}}],"panels":[{"title":"p","type":"line","query":"up"}]}"#, "variables[0].name"),
    ])
    func mistakesInADefinitionAreNamed(document: String, expected: String) async throws {
        let harness = try Harness()
        let folder = harness.directory.sub("dashboards")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try document.write(toFile: folder + "/d.json", atomically: true, encoding: .utf8)
        harness.configuration.dashboardsDirectory = folder
        try await harness.application().test(.router) { client in
            let (status, error) = try await harness.json(client, "/api/sluice/v1/dashboards/d")
            #expect(status == .badRequest)
            #expect((error["error"] as? String)?.contains("d.json: " + expected) == true, "\(error)")
        }
    }

    @Test func uiFilesAreServedFromTheirFolderAndNothingOutsideIt() async throws {
        let harness = try Harness()
        let folder = harness.directory.sub("ui")
        try FileManager.default.createDirectory(atPath: folder + "/pages", withIntermediateDirectories: true)
        try "<!doctype html><title>t</title>".write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        try "export const x = 1;".write(toFile: folder + "/pages/explore.js", atomically: true, encoding: .utf8)
        try "secret".write(toFile: harness.directory.sub("secret.txt"), atomically: true, encoding: .utf8)
        harness.configuration.uiDirectory = folder
        try await harness.application().test(.router) { client in
            let index = try await client.execute(uri: "/", method: .get)
            #expect(index.status == .ok && index.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: index.body) == "<!doctype html><title>t</title>")
            let script = try await client.execute(uri: "/ui/pages/explore.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            for uri in ["/ui/../secret.txt", "/ui/pages/../../secret.txt", "/ui/missing.js", "/ui/pages", "/ui/.hidden"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .notFound, "\(uri)")
                #expect(!String(buffer: response.body).contains("secret") || String(buffer: response.body).contains("no UI file"), "\(uri)")
            }
        }
    }

    @Test func brokerMetricsReadBackAsSamples() throws {
        let harness = try Harness()
        try harness.writer.append(topic: "logs", records: (0..<5).map { Self.record("line \($0)", at: Self.base) }, durable: true)
        var text = ""
        BrokerMetrics(status: harness.status).appendMetrics(to: &text)
        let (samples, unreadable) = ExpositionSamples.parse(text)
        #expect(unreadable == 0)
        let byName = Dictionary(grouping: samples, by: { $0.labels["__name__"] ?? "" })
        #expect(byName["sluice_topic_log_end_offset"]?.map(\.value) == [5])
        #expect(byName["sluice_topic_log_end_offset"]?.first?.labels == ["__name__": "sluice_topic_log_end_offset", "topic": "logs", "partition": "0"])
        #expect(byName["sluice_consumer_group_lag_records"]?.map(\.value) == [3])
        #expect((byName["sluice_topic_size_bytes"]?.first?.value ?? 0) > 0)
    }

    @Test func expositionTextWithEscapesAndSpecialValues() {
        let text = """
        # HELP a_total Things.
        # TYPE a_total counter
        a_total 7
        b{path="C:\\\\dir",quote="say \\"hi\\"",line="one\\ntwo"} +Inf
        c{x="y",} NaN 1700000000000
        d -Inf
        broken{x="y" 1
        e{=} 2
        """
        let (samples, unreadable) = ExpositionSamples.parse(text)
        #expect(unreadable == 2)
        #expect(samples.map { $0.labels["__name__"] } == ["a_total", "b", "c", "d"])
        #expect(samples[0].value == 7)
        #expect(samples[1].labels == ["__name__": "b", "path": "C:\\dir", "quote": "say \"hi\"", "line": "one\ntwo"])
        #expect(samples[1].value == .infinity && samples[2].value.isNaN && samples[3].value == -.infinity)
        #expect(samples[2].labels == ["__name__": "c", "x": "y"])
    }
}
