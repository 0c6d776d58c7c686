import Broker
import CommitLog
import Logging
import Processors
import SluiceModel
import Testing
import TestSupport
@testable import Replay

/// Replay over a real commit log: records produced to a two-partition `metrics` topic are
/// read by event time, decoded by the live processor's path, evaluated, and streamed as
/// events; `into_topic` copies; mistakes are refused before anything runs.
@Suite struct ReplayServiceTests {
    static let base: Int64 = 1_795_003_200_000
    static let minute: Int64 = 60_000
    let directory = TemporaryDirectory()
    let topics: TopicStore
    let writer: LocalTopicWriter
    let service: ReplayService

    static let rules = """
    groups:
      - name: node
        interval: 10s
        rules:
          - alert: HighLoad
            expr: node_load1 > 10
            for: 1m
    """

    init() throws {
        topics = TopicStore(logs: try LogDirectory(path: directory.sub("log")))
        writer = LocalTopicWriter(topics: topics, defaultPartitions: 2)
        var configuration = ReplayService.Configuration(temporaryDirectory: directory.sub("replay"))
        configuration.ruleFilePatterns = [directory.sub("none/*.yml")]
        configuration.maxConcurrentReplays = 1
        service = ReplayService(topics: topics, writer: writer, configuration: configuration, logger: Logger(label: "test"))
    }

    /// Four hosts every 10 s for an hour from `base`: web-1's load is 20 from +10m, and
    /// from +20m its batches no longer carry `node_load1` (the series goes stale there).
    func produceHour() throws -> Int {
        var records: [LocalTopicWriter.OutgoingRecord] = []
        var time = Self.base
        while time < Self.base + 60 * Self.minute {
            for host in ["web-1", "web-2", "db-1", "db-2"] {
                var samples = [MetricSample(name: "node_memory_MemTotal_bytes", value: 16e9)]
                let offset = time - Self.base
                if host != "web-1" || offset < 20 * Self.minute {
                    samples.append(MetricSample(name: "node_load1", value: host == "web-1" && offset >= 10 * Self.minute ? 20 : 0.5))
                }
                let batch = MetricBatch(timestamp: Timestamp(nanosecondsSinceEpoch: time * 1_000_000), host: host, samples: samples)
                records.append((key: Array(host.utf8), value: batch.encodeJSON(), timestampMilliseconds: time))
            }
            time += 10_000
        }
        try writer.append(topic: "metrics", records: records, durable: false)
        return records.count
    }

    func run(_ request: ReplayRequest) throws -> [ReplayEvent] {
        let prepared = try service.prepare(request)
        var events: [ReplayEvent] = []
        service.run(prepared) { event in
            events.append(event)
            return true
        }
        return events
    }

    @Test func aBacktestStreamsProgressTransitionsSummariesAndTotals() throws {
        _ = try produceHour()
        let from = Self.base + 5 * Self.minute, to = Self.base + 40 * Self.minute
        let events = try run(ReplayRequest(topic: "metrics", from: from, to: to,
                                           rules: [.init(name: "load.yml", content: Self.rules)]))
        let transitions = events.compactMap { if case .transition(let transition) = $0 { transition } else { nil } }
        // The stale marker at +20m ends the alert there, not 5 minutes of lookback later.
        #expect(transitions.map { "\(($0.time - Self.base) / 1000)s \($0.labels["host"] ?? "") \($0.from.rawValue)→\($0.to.rawValue)" } == [
            "600s web-1 inactive→pending", "660s web-1 pending→firing", "1200s web-1 firing→resolved",
        ])
        #expect(transitions.allSatisfy { $0.file == "load.yml" && $0.group == "node" })
        guard case .done(let totals)? = events.last else {
            Issue.record("no done event: \(events.last.map { "\($0)" } ?? "none")")
            return
        }
        // Read from 5 minutes (the lookback) before `from`, both ends included, 4 hosts.
        #expect(totals.warmupFrom == from - 5 * Self.minute)
        #expect(totals.records == (Int((to - totals.warmupFrom) / 10_000) + 1) * 4)
        #expect(totals.samples > totals.records)
        #expect(totals.evaluation.evaluations == Int((to - from) / 10_000) + 1)
        #expect(totals.evaluation.transitions == 3)
        // Order: reading progress, then evaluation (progress and transitions), summaries, done.
        let kinds = events.map { event -> String in
            switch event {
            case .progress(let progress): progress.phase.rawValue
            case .transition: "transition"
            case .summary: "summary"
            case .done: "done"
            case .error: "error"
            }
        }
        let firstEvaluation = try #require(kinds.firstIndex { $0 != "read" })
        #expect(firstEvaluation > 0 && kinds[..<firstEvaluation].allSatisfy { $0 == "read" })
        #expect(kinds.suffix(2) == ["summary", "done"])
        #expect(events.contains(.summary({
            var summary = ReplayRuleSummary(rule: "HighLoad", group: "node", file: "load.yml")
            summary.transitions = 3
            summary.fired = 1
            summary.resolved = 1
            return summary
        }())))
        // The temporary store is gone.
        #expect(try FileSystem.contents(of: directory.sub("replay")).isEmpty)
    }

    @Test func twoRunsGiveTheSameLines() throws {
        _ = try produceHour()
        let request = ReplayRequest(topic: "metrics", from: Self.base, to: Self.base + 60 * Self.minute,
                                    rules: [.init(name: "load.yml", content: Self.rules)])
        let first = try run(request).flatMap(\.ndjsonLine)
        let second = try run(request).flatMap(\.ndjsonLine)
        #expect(first == second)
    }

    @Test func intoTopicCopiesTheWindowWithKeysAndTimestamps() throws {
        _ = try produceHour()
        let from = Self.base + 10 * Self.minute, to = Self.base + 11 * Self.minute
        let events = try run(ReplayRequest(topic: "metrics", from: from, to: to, intoTopic: "incident"))
        guard case .done(let totals)? = events.last else {
            Issue.record("no done event")
            return
        }
        #expect(totals.republished == 7 * 4)
        #expect(!events.contains { if case .summary = $0 { true } else { false } })
        var copied: [(key: String, time: Int64)] = []
        var reader = try TopicTimeRangeReader(topics: topics, topic: "incident", from: .min, to: .max)
        while let records = try reader.next() {
            copied += records.map { (String(decoding: $0.key ?? [], as: UTF8.self), $0.timestamp) }
        }
        #expect(copied.count == 28)
        #expect(copied.allSatisfy { (from...to).contains($0.time) })
        #expect(Set(copied.map(\.key)) == ["web-1", "web-2", "db-1", "db-2"])
    }

    @Test func rulesAndIntoTopicTogetherDoBoth() throws {
        _ = try produceHour()
        let from = Self.base + 5 * Self.minute, to = Self.base + 15 * Self.minute
        let events = try run(ReplayRequest(topic: "metrics", from: from, to: to,
                                           rules: [.init(name: "load.yml", content: Self.rules)], intoTopic: "copy"))
        guard case .done(let totals)? = events.last else {
            Issue.record("no done event")
            return
        }
        #expect(totals.republished == 61 * 4)
        #expect(totals.records == 91 * 4)  // the backtest's read, from 5 minutes before `from`
        #expect(totals.evaluation.transitions == 2)
        #expect(events.contains { if case .summary = $0 { true } else { false } })
    }

    @Test func mistakesAreRefusedBeforeAnythingRuns() throws {
        _ = try produceHour()
        func refusal(_ request: ReplayRequest) -> ReplayError? {
            do {
                _ = try service.prepare(request)
                return nil
            } catch {
                return error
            }
        }
        let bad = """
        groups:
          - name: node
            rules:
              - alert: Broken
                expr: node_load1 >
        """
        let badRules = refusal(ReplayRequest(topic: "metrics", from: Self.base, to: Self.base + 1, rules: [.init(name: "bad.yml", content: bad)]))
        #expect(badRules?.kind == .badRequest)
        #expect(badRules?.message.hasPrefix("bad.yml: 5:") == true && badRules?.message.contains("could not parse expression") == true)
        #expect(refusal(ReplayRequest(topic: "nope", from: 0, to: 1, rules: [.init(name: "a.yml", content: Self.rules)]))?.kind == .notFound)
        #expect(refusal(ReplayRequest(topic: "metrics", from: 2, to: 1, rules: [.init(name: "a.yml", content: Self.rules)]))?.kind == .badRequest)
        #expect(refusal(ReplayRequest(topic: "metrics", from: 0, to: 1, intoTopic: "metrics"))?.kind == .badRequest)
        #expect(refusal(ReplayRequest(topic: "metrics", from: 0, to: 722 * 3_600_000, intoTopic: "copy"))?.message
            == "the window is longer than 721h; replay it in parts")
        // No rules sent and none configured.
        #expect(refusal(ReplayRequest(topic: "metrics", from: 0, to: 1))?.message.hasPrefix("no rules to replay") == true)
    }

    @Test func replaysAtOnceAreLimited() throws {
        _ = try produceHour()
        let request = ReplayRequest(topic: "metrics", from: 0, to: 1, intoTopic: "copy")
        var first: ReplayService.PreparedReplay? = try service.prepare(request)
        #expect(throws: ReplayError(.busy, "1 replays are running already; try again when one has finished")) {
            _ = try service.prepare(request)
        }
        #expect(first != nil)
        first = nil
        _ = try service.prepare(request)
    }
}
