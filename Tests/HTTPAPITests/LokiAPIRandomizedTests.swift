import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import LogQL
import LogQLReference
import SluiceModel
import Testing
import TestSupport

/// Must show 2: random events go through the pipeline into the store, random LogQL
/// queries go through the HTTP API, and every answer equals the brute-force reference
/// evaluated over the same events.
@Suite struct LokiAPIRandomizedTests {
    /// The corpus's entries as the agent would ship them: stream labels as labels (host
    /// as the event's host), metadata as event fields, the line as the message.
    static func events(_ entries: [LogEntry]) -> [SluiceModel.LogEvent] {
        entries.map { entry in
            var labels = entry.stream
            let host = labels["host"] ?? ""
            labels["host"] = nil
            return SluiceModel.LogEvent(timestamp: entry.timestamp, host: host, source: "test", message: entry.line,
                            fields: entry.metadata.map { LogField($0.name, .string($0.value)) }, labels: labels)
        }
    }

    @Test(arguments: [21, 22, 23] as [UInt64])
    func answersEqualTheReference(seed: UInt64) async throws {
        let harness = try LokiAPIHarness()
        var corpus = RandomCorpus(seed: seed)
        let events = Self.events(corpus.entries(count: 400))
        // Half reaches a part on disk, half stays in the head: queries read both.
        try harness.produce(Array(events[..<200]))
        try harness.process()
        try harness.store.flush()
        try harness.produce(Array(events[200...]))
        try harness.process()
        let expectedEntries = try harness.expectedEntries()
        #expect(expectedEntries.count == events.count)
        let reference = ReferenceEvaluator(entries: expectedEntries)

        struct Case: Sendable {
            var text: String
            var uri: String
            var expected: Result<LogQLResult, LogQLError>
        }
        let queries = 250
        var cases: [Case] = []
        // Then metric queries the store answers from columns (beyond those among the random
        // ones), over blocks with and without metadata and over the head.
        for number in 0..<(queries + queries / 5) {
            let isMetric = number >= queries || corpus.chance(60)
            let text = number >= queries ? corpus.countingMetricQuery() : isMetric ? corpus.metricQuery() : corpus.logQuery()
            let start = RandomCorpus.base + Int64.random(in: -60...300, using: &corpus.random) * 1_000_000_000
            let end = start + Int64.random(in: 0...400, using: &corpus.random) * 1_000_000_000
            let step = corpus.pick([5, 10, 15, 60, 7] as [Int64]) * 1_000_000_000
            let limit = Int.random(in: 1...40, using: &corpus.random)
            let direction: LogScan.Direction = corpus.chance(50) ? .forward : .backward
            let instant = isMetric && corpus.chance(25)
            let expected = try reference.expected(text, start: start, end: end, step: step, limit: limit,
                                                  direction: direction, instant: instant)
            let uri = instant
                ? "/loki/api/v1/query?" + formEncode([("query", text), ("time", String(end)), ("limit", String(limit)),
                                                     ("direction", direction.rawValue)])
                : "/loki/api/v1/query_range?" + formEncode([("query", text), ("start", String(start)), ("end", String(end)),
                                                           ("step", String(Double(step) / 1e9)), ("limit", String(limit)),
                                                           ("direction", direction.rawValue)])
            cases.append(Case(text: text, uri: uri, expected: expected))
        }
        let allCases = cases
        let (differences, nonEmpty, errors) = try await harness.application().test(.router) { client in
            var differences = 0
            var nonEmpty = 0
            var errors = 0
            for one in allCases {
                let response = try await client.execute(uri: one.uri, method: .get)
                switch one.expected {
                case .success(let result):
                    guard response.status == .ok else {
                        differences += 1
                        Issue.record("\(one.text): expected a result, got \(response.status) \(String(buffer: response.body))")
                        continue
                    }
                    let actual = try decodeLokiResult(response.body)
                    if actual != result {
                        differences += 1
                        if differences <= 3 {
                            Issue.record("seed \(seed) \(one.uri)\nexpected \(result)\nactual   \(actual)")
                        }
                    }
                    if actual != .streams([]), actual != .matrix([]), actual != .vector([]) { nonEmpty += 1 }
                case .failure(let error):
                    errors += 1
                    let answer = jsonObject(response.body)
                    if response.status != .badRequest || answer["errorType"] as? String != "bad_data"
                        || answer["error"] as? String != error.description {
                        differences += 1
                        Issue.record("\(one.text): expected 400 '\(error.description)', got \(response.status) \(String(buffer: response.body))")
                    }
                }
            }
            return (differences, nonEmpty, errors)
        }
        #expect(differences == 0)
        #expect(nonEmpty > queries / 3, "most queries should select something")
        #expect(errors < queries / 4)
    }
}
