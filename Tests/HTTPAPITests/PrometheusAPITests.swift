import Alerting
import Broker
import CommitLog
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import LogQL
import LogStore
import MetricStore
import Processors
import PromQL
import SluiceModel
import Testing
import TestSupport

/// Prometheus's HTTP API over a real metric store: shapes, parameter formats, errors.
@Suite struct PrometheusAPITests {
    /// 2023-11-14T22:13:20Z, in milliseconds.
    static let base: Int64 = 1_700_000_000_000

    final class Harness: @unchecked Sendable {
        let directory = TemporaryDirectory("prometheus-api")
        let store: MetricStore
        let logStore: LogStore
        let topics: TopicStore
        var rules: RuleManager?

        init() throws {
            store = try MetricStore(configuration: MetricStoreConfiguration(directory: directory.sub("metrics")),
                                    now: { Timestamp(nanosecondsSinceEpoch: (PrometheusAPITests.base + 3_600_000) * 1_000_000) })
            logStore = try LogStore(configuration: LogStoreConfiguration(directory: directory.sub("store")),
                                    now: { Timestamp(nanosecondsSinceEpoch: PrometheusAPITests.base * 1_000_000) })
            topics = TopicStore(logs: try LogDirectory(path: directory.sub("log")))
            // Two hosts' request counters (one resets) and a gauge, every 15 s for 10 minutes.
            var series: [MetricSeriesSamples] = []
            let times = (0..<40).map { base + Int64($0) * 15_000 }
            for host in ["a", "b"] {
                let counter = times.indices.map { index in Double(host == "b" && index >= 20 ? index - 20 : index) * 10 }
                series.append(MetricSeriesSamples(labels: ["__name__": "http_requests_total", "host": host, "code": "200"],
                                                  timestamps: times, values: counter))
                series.append(MetricSeriesSamples(labels: ["__name__": "temperature_celsius", "host": host],
                                                  timestamps: times, values: times.map { _ in host == "a" ? 21.5 : 30 }))
            }
            try store.append(series)
        }

        func application() -> some ApplicationProtocol {
            var dependencies = HTTPAPIDependencies(
                engine: LogQLEngine(source: logStore), source: logStore,
                writer: LocalTopicWriter(topics: topics, defaultPartitions: 1), metrics: [],
                isReady: { true }, now: { Timestamp(nanosecondsSinceEpoch: (PrometheusAPITests.base + 600_000) * 1_000_000) })
            dependencies.metricQueries = MetricsDependencies(engine: PromQLEngine(source: store), store: store, rules: rules)
            return Application(router: HTTPServer.makeRouter(dependencies: dependencies, configuration: HTTPAPIConfiguration()))
        }
    }

    static func seconds(_ milliseconds: Int64) -> String { String(Double(milliseconds) / 1000) }

    @Test func instantQueriesAnswerInPrometheusShape() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            let at = Self.base + 300_000
            var response = try await client.execute(uri: "/api/v1/query?" + formEncode([
                ("query", "sum by (host) (rate(http_requests_total[1m]))"), ("time", Self.seconds(at))]), method: .get)
            #expect(response.status == .ok)
            let body = jsonObject(response.body)
            #expect(body["status"] as? String == "success")
            let data = try #require(body["data"] as? [String: Any])
            #expect(data["resultType"] as? String == "vector")
            let result = try #require(data["result"] as? [[String: Any]])
            #expect(result.map { ($0["metric"] as? [String: String])?["host"] } == ["a", "b"])
            let point = try #require(result.first?["value"] as? [Any])
            #expect(point.first as? Double == Double(at) / 1000)
            #expect(Double(point.last as? String ?? "") == 10.0 / 15.0)
            // A POSTed form, an RFC 3339 time, and a scalar result.
            response = try await client.execute(uri: "/api/v1/query", method: .post,
                                                headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: formEncode([("query", "scalar(sum(temperature_celsius))"),
                                                                                     ("time", "2023-11-14T22:18:20Z")])))
            let scalar = try #require(jsonObject(response.body)["data"] as? [String: Any])
            #expect(scalar["resultType"] as? String == "scalar")
            #expect((scalar["result"] as? [Any])?.last as? String == "51.5")
        }
    }

    @Test func rangeQueriesTakeStepsAsDurationsOrSeconds() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            for step in ["60s", "60", "1m"] {
                let response = try await client.execute(uri: "/api/v1/query_range?" + formEncode([
                    ("query", "temperature_celsius{host=\"a\"}"), ("start", Self.seconds(Self.base)),
                    ("end", Self.seconds(Self.base + 300_000)), ("step", step)]), method: .get)
                #expect(response.status == .ok)
                let data = try #require(jsonObject(response.body)["data"] as? [String: Any])
                #expect(data["resultType"] as? String == "matrix")
                let series = try #require((data["result"] as? [[String: Any]])?.first)
                let values = try #require(series["values"] as? [[Any]])
                #expect(values.count == 6)
                #expect(values.map { $0.last as? String } == Array(repeating: "21.5", count: 6))
            }
        }
    }

    @Test func badRequestsGetPrometheusErrors() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            func check(_ path: String, _ parameters: [(String, String)], status: HTTPResponse.Status, type: String, message: String) async throws {
                let response = try await client.execute(uri: path + "?" + formEncode(parameters), method: .get)
                #expect(response.status == status, "\(parameters)")
                let body = jsonObject(response.body)
                #expect(body["status"] as? String == "error")
                #expect(body["errorType"] as? String == type)
                let text = body["error"] as? String ?? ""
                #expect(text.contains(message), "\(text)")
            }
            try await check("/api/v1/query", [("query", "sum(rate(x[5m])")], status: .badRequest, type: "bad_data",
                            message: "invalid parameter \"query\": 1:")
            try await check("/api/v1/query", [("query", "up"), ("time", "yesterday")], status: .badRequest, type: "bad_data",
                            message: "invalid parameter \"time\": cannot parse \"yesterday\" to a valid timestamp")
            try await check("/api/v1/query_range", [("query", "up"), ("start", "100"), ("end", "50"), ("step", "1")],
                            status: .badRequest, type: "bad_data", message: "end timestamp must not be before start time")
            try await check("/api/v1/query_range", [("query", "up"), ("start", "100"), ("end", "200"), ("step", "0")],
                            status: .badRequest, type: "bad_data", message: "zero or negative query resolution step")
            try await check("/api/v1/query_range", [("query", "up"), ("start", "100"), ("end", "200"), ("step", "often")],
                            status: .badRequest, type: "bad_data", message: "cannot parse \"often\" to a valid duration")
            // Both hosts' counters match one temperature per host only after `ignoring(code)`;
            // matching on host alone finds two counters per group: many-to-many, at run time.
            try await check("/api/v1/query", [("query", "http_requests_total + on() group_left temperature_celsius"),
                                              ("time", Self.seconds(Self.base + 60_000))],
                            status: .unprocessableContent, type: "execution", message: "many-to-many")
            try await check("/api/v1/series", [], status: .badRequest, type: "bad_data", message: "no match[] parameter provided")
            try await check("/api/v1/series", [("match[]", "{host=~\".*\"}")], status: .badRequest, type: "bad_data",
                            message: "at least one non-empty matcher")
            try await check("/api/v1/rules", [("type", "sometimes")], status: .badRequest, type: "bad_data", message: "type")
        }
    }

    @Test func seriesLabelsAndValues() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            var response = try await client.execute(uri: "/api/v1/series?" + formEncode([
                ("match[]", "temperature_celsius"), ("match[]", "http_requests_total{host=\"b\"}")]), method: .get)
            let series = try #require(jsonObject(response.body)["data"] as? [[String: String]])
            #expect(Set(series) == Set([
                ["__name__": "temperature_celsius", "host": "a"], ["__name__": "temperature_celsius", "host": "b"],
                ["__name__": "http_requests_total", "host": "b", "code": "200"]]))
            response = try await client.execute(uri: "/api/v1/labels", method: .get)
            #expect(jsonObject(response.body)["data"] as? [String] == ["__name__", "code", "host"])
            response = try await client.execute(uri: "/api/v1/label/__name__/values", method: .get)
            #expect(jsonObject(response.body)["data"] as? [String] == ["http_requests_total", "temperature_celsius"])
            response = try await client.execute(uri: "/api/v1/label/host/values?" + formEncode([("match[]", "temperature_celsius{host!=\"a\"}")]),
                                                method: .get)
            #expect(jsonObject(response.body)["data"] as? [String] == ["b"])
            response = try await client.execute(uri: "/api/v1/status/buildinfo", method: .get)
            #expect((jsonObject(response.body)["data"] as? [String: Any])?["version"] as? String == "2.42.0")
            // Outside the data's time range: nothing.
            response = try await client.execute(uri: "/api/v1/label/host/values?" + formEncode([
                ("start", Self.seconds(Self.base - 7_200_000)), ("end", Self.seconds(Self.base - 3_600_000))]), method: .get)
            #expect(jsonObject(response.body)["data"] as? [String] == [])
        }
    }

    @Test func rulesAndAlertsComeFromTheRuleManager() async throws {
        let harness = try Harness()
        try await harness.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/alerts", method: .get)
            #expect(String(buffer: response.body) == #"{"status":"success","data":{"alerts":[]}}"#)
        }
        let evaluator = PromQLRuleEvaluator(engine: PromQLEngine(source: harness.store))
        let file = try RuleFileParser(evaluator: evaluator).parse("""
            groups:
              - name: heat
                rules:
                  - alert: Warm
                    expr: temperature_celsius > 25
                    annotations: {summary: "{{ $labels.host }} at {{ $value }}"}
                  - record: host:temperature:max
                    expr: max by (host) (temperature_celsius)
            """, file: "heat.yml")
        let rules = RuleManager(files: [file], evaluator: evaluator)
        rules.advance(to: Self.base + 120_000)
        harness.rules = rules
        try await harness.application().test(.router) { client in
            var response = try await client.execute(uri: "/api/v1/alerts", method: .get)
            let alerts = try #require((jsonObject(response.body)["data"] as? [String: Any])?["alerts"] as? [[String: Any]])
            #expect(alerts.count == 1)
            #expect((alerts.first?["labels"] as? [String: String])?["host"] == "b")
            #expect(alerts.first?["state"] as? String == "firing")
            #expect((alerts.first?["annotations"] as? [String: String])?["summary"] == "b at 30")
            response = try await client.execute(uri: "/api/v1/rules?type=record", method: .get)
            let groups = try #require((jsonObject(response.body)["data"] as? [String: Any])?["groups"] as? [[String: Any]])
            let names = groups.flatMap { ($0["rules"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
            #expect(names == ["host:temperature:max"])
        }
    }
}
