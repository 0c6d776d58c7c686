import Alerting
import SluiceModel
import Testing
import TestSupport
@testable import Replay

/// The event-time evaluation core: transitions at the times Prometheus's semantics give,
/// summaries, determinism, and the range-precomputed path against plain per-step instant
/// evaluation (the live rule manager's way) on generated data.
@Suite struct ReplayEvaluatorTests {
    /// A whole hour, so that every group interval divides it.
    static let base: Int64 = 1_795_003_200_000
    static let minute: Int64 = 60_000

    static let incidentRules = """
    groups:
      - name: node
        interval: 10s
        rules:
          - alert: HighLoad
            expr: node_load1 > 10
            for: 2m
            labels:
              severity: page
          - alert: DiskAlmostFull
            expr: disk_used_ratio > 0.9
            for: 1m
            keep_firing_for: 1m
    """

    /// Five hosts, 10 s samples from 10 minutes before `base` for 2 hours: host-2's load is
    /// 20 from +30m to +45m; host-4's disk is full from +10m to +20m and from +25m to +35m,
    /// with a 20-second dip at +30m.
    static func incidentBuffer() throws -> SampleBuffer {
        let buffer = try SampleBuffer()
        for index in 0..<5 {
            let host = "host-\(index)"
            try buffer.add("node_load1", ["host": host], from: base - 10 * minute, through: base + 120 * minute, step: 10_000) { time in
                index == 2 && time >= base + 30 * minute && time < base + 45 * minute ? 20 : 1 + Double(index) / 10
            }
            try buffer.add("disk_used_ratio", ["host": host], from: base - 10 * minute, through: base + 120 * minute, step: 10_000) { time in
                guard index == 4 else { return 0.5 }
                let offset = time - base
                let full = (10 * minute..<20 * minute).contains(offset) || (25 * minute..<35 * minute).contains(offset)
                let dip = (30 * minute..<30 * minute + 20_000).contains(offset)
                return full && !dip ? 0.95 : 0.5
            }
        }
        return buffer
    }

    @Test func anIncidentGivesItsTransitionsAtTheirEventTimes() throws {
        let rules = try ReplayTesting.rules(Self.incidentRules)
        let timeline = ReplayTesting.timeline(rules, try Self.incidentBuffer(), from: Self.base, to: Self.base + 120 * Self.minute)
        #expect(ReplayTesting.brief(timeline, base: Self.base) == [
            "600s DiskAlmostFull host-4 inactive→pending",
            "660s DiskAlmostFull host-4 pending→firing",
            // Clear at +20m; keep_firing_for holds it one more minute.
            "1260s DiskAlmostFull host-4 firing→resolved",
            "1500s DiskAlmostFull host-4 resolved→pending",
            "1560s DiskAlmostFull host-4 pending→firing",
            "1800s HighLoad host-2 inactive→pending",
            "1920s HighLoad host-2 pending→firing",
            // The 20 s dip at +30m was bridged by keep_firing_for.
            "2160s DiskAlmostFull host-4 firing→resolved",
            "2700s HighLoad host-2 firing→resolved",
        ])
        let firing = try #require(timeline.transitions.first { $0.rule == "HighLoad" && $0.to == .firing })
        #expect(firing.value == 20)
        #expect(firing.labels == ["alertname": "HighLoad", "host": "host-2", "severity": "page"])
        #expect(firing.file == "rules.yml" && firing.group == "node")

        let summaries = Dictionary(uniqueKeysWithValues: timeline.summaries.map { ($0.rule, $0) })
        #expect(timeline.summaries.map(\.rule) == ["HighLoad", "DiskAlmostFull"])
        #expect(summaries["HighLoad"]?.fired == 1 && summaries["HighLoad"]?.flaps == 0 && summaries["HighLoad"]?.resolved == 1)
        // Fired again after resolving at +21m: one flap; the dip at +30m is none.
        #expect(summaries["DiskAlmostFull"]?.fired == 2 && summaries["DiskAlmostFull"]?.flaps == 1)
        #expect(summaries["DiskAlmostFull"]?.transitions == 6 && summaries["DiskAlmostFull"]?.errors == 0)
        // Every 10 s of 2 hours, both ends included, two rules.
        #expect(timeline.totals.evaluations == 2 * 721)
        #expect(timeline.totals.precomputed == timeline.totals.evaluations)
    }

    @Test func theSameInputGivesByteIdenticalOutput() throws {
        let rules = try ReplayTesting.rules(Self.incidentRules)
        let first = ReplayTesting.timeline(rules, try Self.incidentBuffer(), from: Self.base, to: Self.base + 120 * Self.minute)
        let second = ReplayTesting.timeline(rules, try Self.incidentBuffer(), from: Self.base, to: Self.base + 120 * Self.minute,
                                            stretch: 7 * Self.minute)
        #expect(ReplayTesting.ndjson(first) == ReplayTesting.ndjson(second))
        #expect(first == second)
    }

    @Test func aConditionAlreadyTrueAtTheStartIsPendingThere() throws {
        let rules = try ReplayTesting.rules(Self.incidentRules)
        let from = Self.base + 35 * Self.minute + 5_000  // off the 10 s grid
        let timeline = ReplayTesting.timeline(rules, try Self.incidentBuffer(), from: from, to: Self.base + 50 * Self.minute)
        #expect(ReplayTesting.brief(timeline, base: Self.base) == [
            "2110s HighLoad host-2 inactive→pending",
            "2230s HighLoad host-2 pending→firing",
            "2700s HighLoad host-2 firing→resolved",
        ])
    }

    @Test func warmUpCoversTheLongestRangeAndOffsetPlusLookback() throws {
        let rules = try ReplayTesting.rules("""
        groups:
          - name: a
            rules:
              - alert: A
                expr: rate(x[1h] offset 10m) > 0 and y offset 30m
              - record: r
                expr: max_over_time(z[2h])
        """)
        #expect(rules.warmupMilliseconds(lookbackDelta: 5 * Self.minute) == 125 * Self.minute)
    }

    // MARK: Recording rules

    static let recordingRules = """
    groups:
      - name: recorded
        interval: 10s
        rules:
          - record: host:load:avg1m
            expr: avg_over_time(node_load1[1m])
          - alert: AverageLoadHigh
            expr: host:load:avg1m > 10
            for: 30s
      - name: fleet
        interval: 30s
        rules:
          - alert: FleetLoadHigh
            expr: sum({__name__=~"host:load:.*"}) > 15
          - alert: RawLoadHigh
            expr: node_load1 > 10
    """

    @Test func recordingRulesFeedTheRulesThatReadThem() throws {
        let rules = try ReplayTesting.rules(Self.recordingRules)
        // Expressions reading recorded series are evaluated as instant queries, in order.
        #expect(rules.precomputable.map(\.expression) == ["avg_over_time(node_load1[1m])", "node_load1 > 10"])
        let precomputed = ReplayTesting.timeline(rules, try Self.incidentBuffer(), from: Self.base, to: Self.base + 60 * Self.minute)
        let instant = ReplayTesting.timeline(rules, try Self.incidentBuffer(), from: Self.base, to: Self.base + 60 * Self.minute,
                                             precompute: false)
        #expect(precomputed.transitions == instant.transitions && precomputed.summaries == instant.summaries)
        #expect(precomputed.totals.precomputed == precomputed.totals.evaluations / 2)
        let average = precomputed.transitions.filter { $0.rule == "AverageLoadHigh" }
        #expect(average.map { "\($0.from.rawValue)→\($0.to.rawValue)" } == ["inactive→pending", "pending→firing", "firing→resolved"])
        // The recorded average crosses 10 half a minute after the load does.
        #expect(average.first.map { $0.time > Self.base + 30 * Self.minute } == true)
        #expect(precomputed.transitions.contains { $0.rule == "FleetLoadHigh" && $0.to == .firing })
    }

    @Test func recordingRulesRunThroughAWarmUpBeforeTheWindow() throws {
        let rules = try ReplayTesting.rules("""
        groups:
          - name: recorded
            interval: 10s
            rules:
              - record: host:load
                expr: node_load1
              - alert: RecentPeak
                expr: max_over_time(host:load[10m]) > 10
        """)
        #expect(rules.recordingWarmupMilliseconds(lookbackDelta: 5 * Self.minute) == 15 * Self.minute)
        #expect(rules.warmupMilliseconds(lookbackDelta: 5 * Self.minute) == 20 * Self.minute)
        // host-2's load was 20 from +30m to +45m, before the window starts at +50m: live, the
        // recorded series would hold that peak, so the alert fires at once.
        let timeline = ReplayTesting.timeline(rules, try Self.incidentBuffer(), from: Self.base + 50 * Self.minute,
                                              to: Self.base + 60 * Self.minute)
        #expect(ReplayTesting.brief(timeline, base: Self.base) == [
            "3000s RecentPeak host-2 inactive→firing", "3300s RecentPeak host-2 firing→resolved",
        ])
        // Only the window's evaluations count: two rules, every 10 s of 10 minutes.
        #expect(timeline.totals.evaluations == 2 * 61)
    }

    // MARK: Range-precomputed versus instant evaluation

    static let mixedRules = """
    groups:
      - name: fast
        interval: 10s
        rules:
          - alert: LoadHigh
            expr: node_load1 > 3
            for: 30s
          - alert: ErrorRate
            expr: rate(errors_total[1m]) > 0.5
            for: 20s
            keep_firing_for: 40s
            labels:
              team: "{{ $labels.dc }}"
          - alert: HostAbsent
            expr: absent(node_load1{host="h5"})
          - alert: SustainedSpike
            expr: avg_over_time(node_load1[2m]) > 2.5 and on(host) node_load1 > 2
            annotations:
              summary: "{{ $labels.host }} at {{ $value }}"
      - name: medium
        interval: 30s
        rules:
          - alert: DatacenterLoad
            expr: sum by (dc) (node_load1) > 9
            for: 1m
          - alert: ErrorsIncreased
            expr: increase(errors_total[5m] offset 1m) > 20
          - alert: Busiest
            expr: topk(1, node_load1) > 4
      - name: slow
        interval: 1m
        rules:
          - alert: MemoryLow
            expr: node_memory_available / node_memory_total < 0.2
            for: 2m
          - alert: ManyBusy
            expr: count(node_load1 > 2) > 3
          - record: dc:load:max
            expr: max by (dc) (node_load1)
          - alert: DatacenterPeak
            expr: dc:load:max > 4.5
    """

    /// Six hosts over 3 hours: random-walk loads with spikes, counters with resets,
    /// memory dips, and host h5 silent for 15 minutes (stale marker at the start).
    static func randomBuffer(seed: UInt64) throws -> SampleBuffer {
        var random = SplitMix64(seed: seed)
        let buffer = try SampleBuffer()
        let start = base - 10 * minute, end = base + 180 * minute
        for index in 0..<6 {
            let host = "h\(index)", dc = "dc\(index % 2)"
            let silent = base + 60 * minute..<base + 75 * minute
            var load = 1.0
            var loads: [Int64: Double] = [:]
            var counter = 0.0
            var counters: [Int64: Double] = [:]
            var memory: [Int64: Double] = [:]
            var time = start
            while time <= end {
                load = max(0, load + Double(Int(random.next() % 200) - 100) / 200)
                if random.next() % 60 == 0 { load += 4 }
                loads[time] = (load * 100).rounded() / 100
                counter += Double(random.next() % 12)
                if random.next() % 500 == 0 { counter = 0 }
                counters[time] = counter
                memory[time] = random.next() % 40 == 0 ? 1e9 : 6e9
                time += 10_000
            }
            let labels = ["host": host, "dc": dc]
            func value(_ map: [Int64: Double]) -> (Int64) -> Double? {
                { time in
                    if index == 5, silent.contains(time) { return time == silent.lowerBound ? StaleMarker.value : nil }
                    return map[time]
                }
            }
            try buffer.add("node_load1", labels, from: start, through: end, step: 10_000, value: value(loads))
            try buffer.add("errors_total", labels, from: start, through: end, step: 10_000, value: value(counters))
            try buffer.add("node_memory_available", labels, from: start, through: end, step: 10_000, value: value(memory))
            try buffer.add("node_memory_total", labels, from: start, through: end, step: 10_000) { _ in 8e9 }
        }
        return buffer
    }

    @Test(arguments: [UInt64(1), 2])
    func rangePrecomputedEvaluationEqualsInstantEvaluation(seed: UInt64) throws {
        let rules = try ReplayTesting.rules(Self.mixedRules)
        let from = Self.base + 7 * Self.minute + 13_000, to = Self.base + 170 * Self.minute
        let instant = ReplayTesting.timeline(rules, try Self.randomBuffer(seed: seed), from: from, to: to, precompute: false)
        // Stretches that end off every grid, so that their boundaries are exercised.
        let precomputed = ReplayTesting.timeline(rules, try Self.randomBuffer(seed: seed), from: from, to: to,
                                                 stretch: 37 * Self.minute + 7_000)
        #expect(instant.transitions.count > 50)
        #expect(Set(instant.transitions.map(\.rule)).count >= 8)
        #expect(precomputed.totals.precomputed > precomputed.totals.evaluations / 2)
        #expect(instant.totals.precomputed == 0)
        #expect(precomputed.totals.evaluations == instant.totals.evaluations)
        #expect(precomputed.summaries == instant.summaries)
        for (left, right) in zip(precomputed.transitions, instant.transitions) where left != right {
            Issue.record("first difference: precomputed \(left) instant \(right)")
            break
        }
        #expect(precomputed.transitions == instant.transitions)
    }
}
