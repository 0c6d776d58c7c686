import Foundation
import SluiceModel
import Synchronization
import Testing
import TestSupport
@testable import Alerting

/// Groups evaluated on their interval with an injected clock, recording rules, the
/// alert state file across restarts, and the API bodies.
@Suite struct RuleManagerTests {
    static let t0: Int64 = 1_700_000_000_000
    static let minute: Int64 = 60_000
    static let rules = """
    groups:
      - name: fast
        interval: 250ms
        rules:
          - record: job:up:sum
            expr: sum by (job) (up)
            labels:
              source: rule
      - name: node
        rules:
          - alert: HighCPU
            expr: cpu_busy > 0.9
            for: 5m
            labels:
              severity: page
            annotations:
              summary: "CPU of {{ $labels.host }} at {{ $value | humanizePercentage }}"
    """

    static func manager(_ evaluator: FakeEvaluator, recorder: SinkRecorder, snapshot: String? = nil) throws -> RuleManager {
        var configuration = RuleManager.Configuration()
        configuration.snapshotPath = snapshot
        configuration.externalURL = "http://sluice:8080"
        return RuleManager(files: [try parseRules(rules, evaluator: evaluator, file: "node.yml")], evaluator: evaluator,
                           configuration: configuration, sinks: recorder.sinks)
    }

    @Test func groupsRunAtMultiplesOfTheirInterval() throws {
        let evaluator = FakeEvaluator()
        let manager = try Self.manager(evaluator, recorder: SinkRecorder())
        manager.advance(to: Self.t0 + 100)       // first evaluations at the next multiples
        #expect(evaluator.calls.isEmpty)
        #expect(manager.nextEvaluationTime == Self.t0 + 250)
        manager.advance(to: Self.t0 + 10_000)
        let fast = evaluator.calls.filter { $0.0 == "sum by (job) (up)" }.map(\.1)
        let slow = evaluator.calls.filter { $0.0 == "cpu_busy > 0.9" }.map(\.1)
        // Live mode skips missed iterations: one fast evaluation at the latest slot.
        #expect(fast == [Self.t0 + 10_000])
        #expect(slow == [Self.t0 + 10_000])
        manager.advance(to: Self.t0 + 10_250)
        manager.advance(to: Self.t0 + 10_499) // not yet due
        manager.advance(to: Self.t0 + 10_600)
        #expect(evaluator.calls.filter { $0.0 == "sum by (job) (up)" }.map(\.1) == [Self.t0 + 10_000, Self.t0 + 10_250, Self.t0 + 10_500])
        #expect(manager.nextEvaluationTime == Self.t0 + 10_750)
    }

    @Test func replayModeEvaluatesEveryMissedIteration() throws {
        let evaluator = FakeEvaluator()
        var configuration = RuleManager.Configuration()
        configuration.evaluateMissedIterations = true
        configuration.defaultIntervalMilliseconds = 1000
        let manager = RuleManager(files: [try parseRules(Self.rules, evaluator: evaluator)], evaluator: evaluator, configuration: configuration)
        manager.advance(to: Self.t0)
        manager.advance(to: Self.t0 + 3000)
        #expect(evaluator.calls.filter { $0.0 == "cpu_busy > 0.9" }.map(\.1) == [0, 1000, 2000, 3000].map { Self.t0 + $0 })
        #expect(evaluator.calls.filter { $0.0 == "sum by (job) (up)" }.count == 13)
    }

    @Test func recordingRulesFeedTheSampleSinkWithStaleMarkers() throws {
        let evaluator = FakeEvaluator()
        let recorder = SinkRecorder()
        let manager = try Self.manager(evaluator, recorder: recorder)
        evaluator.set("sum by (job) (up)", [(["job": "node"], 3), (["job": "db"], 1)])
        manager.advance(to: Self.t0)
        evaluator.set("sum by (job) (up)", [(["job": "node"], 2)])
        manager.advance(to: Self.t0 + 250)
        let batches = recorder.samples
        #expect(batches.map(\.0) == [Self.t0, Self.t0 + 250])
        #expect(batches[0].1 == [MetricSample(name: "job:up:sum", labels: ["job": "node", "source": "rule"], value: 3),
                                 MetricSample(name: "job:up:sum", labels: ["job": "db", "source": "rule"], value: 1)])
        #expect(batches[1].1.count == 2)
        #expect(batches[1].1[0] == MetricSample(name: "job:up:sum", labels: ["job": "node", "source": "rule"], value: 2))
        #expect(batches[1].1[1].labels == ["job": "db", "source": "rule"])
        #expect(StaleMarker.isStale(batches[1].1[1].value))
    }

    /// The alert fires at t0 + 5m whatever the evaluator reports in between.
    static func holdCPU(_ evaluator: FakeEvaluator, _ value: Double = 0.95) {
        evaluator.set("cpu_busy > 0.9", [(["__name__": "cpu_busy", "host": "h1"], value)])
    }

    @Test func restartWhilePendingKeepsTheTimer() throws {
        let folder = TemporaryDirectory()
        let snapshot = folder.sub("alerts.state")
        let evaluator = FakeEvaluator()
        Self.holdCPU(evaluator)
        let first = SinkRecorder()
        try Self.manager(evaluator, recorder: first, snapshot: snapshot).advance(to: Self.t0)
        #expect(first.transitions.map(\.to) == [.pending])
        #expect(FileManager.default.fileExists(atPath: snapshot))

        // Restarted 2 minutes later: still pending from t0, so it fires at t0 + 5m.
        let second = SinkRecorder()
        let restarted = try Self.manager(evaluator, recorder: second, snapshot: snapshot)
        #expect(try restarted.restoreSnapshot() == 1)
        restarted.advance(to: Self.t0 + 2 * Self.minute)
        #expect(second.transitions.isEmpty)
        #expect(restarted.activeAlerts().first?.alert.activeAt == Self.t0)
        restarted.advance(to: Self.t0 + 5 * Self.minute)
        #expect(second.transitions.map { [$0.from, $0.to] } == [[.pending, .firing]])
        #expect(second.transitions.first?.time == Self.t0 + 5 * Self.minute)
    }

    @Test func restartWhileFiringDoesNotNotifyAgain() throws {
        let folder = TemporaryDirectory()
        let snapshot = folder.sub("alerts.state")
        let evaluator = FakeEvaluator()
        Self.holdCPU(evaluator)
        let first = SinkRecorder()
        let manager = try Self.manager(evaluator, recorder: first, snapshot: snapshot)
        manager.advance(to: Self.t0)
        manager.advance(to: Self.t0 + 5 * Self.minute)
        #expect(first.transitions.map(\.to) == [.pending, .firing])
        #expect(first.notifications.count == 1)

        let second = SinkRecorder()
        let restarted = try Self.manager(evaluator, recorder: second, snapshot: snapshot)
        try restarted.restoreSnapshot()
        restarted.advance(to: Self.t0 + 5 * Self.minute + 10_000)
        restarted.advance(to: Self.t0 + 5 * Self.minute + 50_000)
        #expect(second.transitions.isEmpty)
        #expect(second.notifications.isEmpty) // sent 50 s ago, before the restart
        let alert = try #require(restarted.activeAlerts().first?.alert)
        #expect(alert.state == .firing)
        #expect(alert.firedAt == Self.t0 + 5 * Self.minute)
        #expect(alert.lastSentAt == Self.t0 + 5 * Self.minute)
        // The resend delay still runs from the last send before the restart.
        restarted.advance(to: Self.t0 + 6 * Self.minute + 10_000)
        #expect(second.notifications.count == 1)
        // And the resolution after the restart is announced once.
        evaluator.set("cpu_busy > 0.9", [])
        restarted.advance(to: Self.t0 + 6 * Self.minute + 20_000)
        #expect(second.transitions.map { [$0.from, $0.to] } == [[.firing, .resolved]])
        #expect(second.notifications.last?.first?.isResolved == true)
    }

    @Test func snapshotRoundTripsEveryField() throws {
        let folder = TemporaryDirectory()
        let snapshot = folder.sub("alerts.state")
        let evaluator = FakeEvaluator()
        evaluator.set("cpu_busy > 0.9", [(["host": "tab\there \"quoted\" é"], .nan), (["host": "h2"], 0.1 + 0.2)])
        let manager = try Self.manager(evaluator, recorder: SinkRecorder(), snapshot: snapshot)
        manager.advance(to: Self.t0)
        manager.advance(to: Self.t0 + 5 * Self.minute)
        evaluator.set("cpu_busy > 0.9", [(["host": "h2"], 0.1 + 0.2)])
        manager.advance(to: Self.t0 + 6 * Self.minute)
        let before = manager.state.withLock { $0.groups[1].rules[0].machine?.allAlerts ?? [] }
        #expect(before.count == 2)
        let restarted = try Self.manager(evaluator, recorder: SinkRecorder(), snapshot: snapshot)
        try restarted.restoreSnapshot()
        let after = restarted.state.withLock { $0.groups[1].rules[0].machine?.allAlerts ?? [] }
        #expect(after == before)
        #expect(after.contains { $0.state == .resolved && $0.value.isNaN })
    }

    @Test func corruptSnapshotIsAnError() throws {
        let folder = TemporaryDirectory()
        try "{\"version\":9}".write(toFile: folder.sub("s"), atomically: true, encoding: .utf8)
        let manager = try Self.manager(FakeEvaluator(), recorder: SinkRecorder(), snapshot: folder.sub("s"))
        #expect(throws: AlertSnapshotError.self) { try manager.restoreSnapshot() }
    }

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func apiBodiesInPrometheusShape() throws {
        let evaluator = FakeEvaluator()
        Self.holdCPU(evaluator, 0.97)
        evaluator.fail("sum by (job) (up)")
        let manager = try Self.manager(evaluator, recorder: SinkRecorder())
        manager.advance(to: Self.t0)

        let alerts = try Self.json(manager.alertsResponseJSON())
        #expect(alerts["status"] as? String == "success")
        let list = try #require((alerts["data"] as? [String: Any])?["alerts"] as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list[0]["labels"] as? [String: String] == ["alertname": "HighCPU", "host": "h1", "severity": "page"])
        #expect(list[0]["annotations"] as? [String: String] == ["summary": "CPU of h1 at 97%"])
        #expect(list[0]["state"] as? String == "pending")
        #expect(list[0]["activeAt"] as? String == "2023-11-14T22:13:20Z")
        #expect(list[0]["value"] as? String == "9.7e-01")

        let rules = try Self.json(manager.rulesResponseJSON())
        let groups = try #require((rules["data"] as? [String: Any])?["groups"] as? [[String: Any]])
        #expect(groups.map { $0["name"] as? String } == ["fast", "node"])
        #expect(groups.map { $0["interval"] as? Double } == [0.25, 10])
        #expect(groups[0]["file"] as? String == "node.yml")
        let recording = try #require((groups[0]["rules"] as? [[String: Any]])?.first)
        #expect(recording["type"] as? String == "recording")
        #expect(recording["health"] as? String == "err")
        #expect(recording["lastError"] as? String == "query failed: sum by (job) (up)")
        #expect(recording["labels"] as? [String: String] == ["source": "rule"])
        let alerting = try #require((groups[1]["rules"] as? [[String: Any]])?.first)
        #expect(Set(alerting.keys) == ["state", "name", "query", "duration", "keepFiringFor", "labels", "annotations", "alerts",
                                       "health", "evaluationTime", "lastEvaluation", "type"])
        #expect(alerting["state"] as? String == "pending")
        #expect(alerting["duration"] as? Double == 300)
        #expect(alerting["health"] as? String == "ok")
        #expect(alerting["lastEvaluation"] as? String == "2023-11-14T22:13:20Z")
        #expect((alerting["alerts"] as? [Any])?.count == 1)
        let onlyRecording = try Self.json(manager.rulesResponseJSON(filter: .record))
        let filtered = try #require((onlyRecording["data"] as? [String: Any])?["groups"] as? [[String: Any]])
        #expect(filtered.map { ($0["rules"] as? [Any])?.count } == [1, 0])
    }

    @Test func liveLoopRunsWithAnInjectedScheduler() async throws {
        /// Advances the manual clock to each deadline instead of sleeping; stops after a few.
        final class StepScheduler: AlertingScheduler {
            let clock: ManualAlertingClock
            let steps = Mutex(0)
            init(_ clock: ManualAlertingClock) { self.clock = clock }
            func sleep(untilMilliseconds deadline: Int64, clock _: any AlertingClock) async throws {
                let count = steps.withLock { $0 += 1; return $0 }
                if count > 8 { throw CancellationError() }
                clock.set(deadline)
            }
        }
        let evaluator = FakeEvaluator()
        let manager = try Self.manager(evaluator, recorder: SinkRecorder())
        let clock = ManualAlertingClock(milliseconds: Self.t0)
        await #expect(throws: CancellationError.self) { try await manager.run(clock: clock, scheduler: StepScheduler(clock)) }
        #expect(evaluator.calls.filter { $0.0 == "sum by (job) (up)" }.map(\.1) == (0...8).map { Self.t0 + Int64($0) * 250 })
    }
}
