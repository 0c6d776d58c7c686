import Alerting
import MetricStore
import PromQL
import SluiceModel
import TestSupport
@testable import Replay

/// A metric store in a temporary folder holding generated series: the buffer the
/// evaluator reads in these tests (a real `MetricStore`, never flushed, as replay uses it).
final class SampleBuffer {
    let directory = TemporaryDirectory("replay-buffer")
    let store: MetricStore

    init() throws {
        store = try MetricStore(configuration: MetricStoreConfiguration(directory: directory.path, retentionMilliseconds: nil),
                                now: { Timestamp(nanosecondsSinceEpoch: 0) })
    }

    /// Appends one series' samples; `value(t)` nil leaves a gap at `t`.
    func add(_ name: String, _ labels: [String: String], from start: Int64, through end: Int64, step: Int64,
             value: (Int64) -> Double?) throws {
        var pairs = labels
        pairs["__name__"] = name
        var times: [Int64] = []
        var values: [Double] = []
        var time = start
        while time <= end {
            if let sample = value(time) {
                times.append(time)
                values.append(sample)
            }
            time += step
        }
        try store.append([MetricSeriesSamples(labels: Labels(pairs), timestamps: times, values: values)])
    }

    /// What the rule manager's recording sink writes, as `ReplayBuffer.record` does.
    static func record(into store: MetricStore, time: Int64, samples: [MetricSample]) {
        _ = try? store.append(samples.map { sample in
            var labels = sample.labels
            labels["__name__"] = sample.name
            return MetricSeriesSamples(labels: labels, timestamps: [time], values: [sample.value])
        })
    }
}

enum ReplayTesting {
    static func rules(_ yaml: String, file: String = "rules.yml") throws -> ReplayRuleSet {
        let parser = RuleFileParser(evaluator: PromQLRuleEvaluator(engine: PromQLEngine(source: NoSamples())))
        return ReplayRuleSet(files: [try parser.parse(yaml, file: file)], defaultIntervalMilliseconds: 10_000)
    }

    static func timeline(_ rules: ReplayRuleSet, _ buffer: SampleBuffer, from: Int64, to: Int64,
                         precompute: Bool = true, stretch: Int64? = nil) -> ReplayTimeline {
        var options = ReplayEvaluator.Options()
        options.precompute = precompute
        if let stretch { options.stretchMilliseconds = stretch }
        let store = buffer.store
        let evaluator = ReplayEvaluator(rules: rules, source: store, options: options) { time, samples in
            SampleBuffer.record(into: store, time: time, samples: samples)
        }
        return evaluator.timeline(from: from, to: to)
    }

    /// `(seconds after base, rule, host label, from, to)` of each transition.
    static func brief(_ timeline: ReplayTimeline, base: Int64) -> [String] {
        timeline.transitions.map { transition in
            "\((transition.time - base) / 1000)s \(transition.rule) \(transition.labels["host"] ?? "-") \(transition.from.rawValue)→\(transition.to.rawValue)"
        }
    }

    /// The whole timeline as the API writes it.
    static func ndjson(_ timeline: ReplayTimeline) -> [UInt8] {
        timeline.transitions.flatMap { ReplayEvent.transition($0).ndjsonLine }
            + timeline.summaries.flatMap { ReplayEvent.summary($0).ndjsonLine }
    }
}
