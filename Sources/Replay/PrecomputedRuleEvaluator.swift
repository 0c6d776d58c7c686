import Alerting
import Dispatch
import PromQL
import SluiceModel
import Synchronization

/// The rule manager's expression evaluator during a replay. Evaluating every rule at every
/// step as an instant query would read and decode the same samples again at each step, so
/// for a stretch of the window (`prepare`) each expression is computed once as a range
/// query with the group's interval as its step, on the group's evaluation times, and the
/// rule manager's instant evaluations are answered from that result. A PromQL range query
/// is by definition the instant query at each step, so the answers are the same (the
/// replay tests compare both paths).
///
/// Anything not prepared is evaluated as an instant query: expressions reading what
/// recording rules write (those samples appear only as the rule manager runs), template
/// `query` calls, times off the prepared grid, and expressions whose range query failed
/// (an error at one step must fail only that step's evaluation, as live).
///
/// Thread-safety: every method may be called from any thread; the prepared results sit
/// behind a mutex. `prepare` computes its range queries on all cores.
final class PrecomputedRuleEvaluator: RuleExpressionEvaluator {
    /// One expression's range-query result over evaluation times `start, start + step, …`,
    /// arranged by step: the samples of step `k` are `entries[offsets[k]..<offsets[k + 1]]`,
    /// in the order an instant query returns them.
    struct Window: Sendable {
        var start: Int64
        var step: Int64
        var stepCount: Int
        var labels: [Labels]
        var offsets: [Int32]
        var seriesOfEntry: [Int32]
        var valueOfEntry: [Double]

        func samples(at time: Int64) -> [(labels: Labels, value: Double)]? {
            guard time >= start, (time - start) % step == 0 else { return nil }
            let index = Int((time - start) / step)
            guard index < stepCount else { return nil }
            let range = Int(offsets[index])..<Int(offsets[index + 1])
            return range.map { (labels[Int(seriesOfEntry[$0])], valueOfEntry[$0]) }
        }

        init(start: Int64, step: Int64, end: Int64, matrix: [PromQLSeries]) {
            self.start = start
            self.step = step
            stepCount = Int((end - start) / step) + 1
            labels = matrix.map(\.labels)
            // Counting sort of every point into its step, keeping series order within a step.
            var counts = [Int32](repeating: 0, count: stepCount + 1)
            for series in matrix {
                for point in series.points { counts[Int((point.time - start) / step) + 1] += 1 }
            }
            for index in 1..<counts.count { counts[index] += counts[index - 1] }
            offsets = counts
            var next = counts
            let total = Int(counts[stepCount])
            seriesOfEntry = [Int32](repeating: 0, count: total)
            valueOfEntry = [Double](repeating: 0, count: total)
            for (seriesIndex, series) in matrix.enumerated() {
                for point in series.points {
                    let stepIndex = Int((point.time - start) / step)
                    let slot = Int(next[stepIndex])
                    next[stepIndex] += 1
                    seriesOfEntry[slot] = Int32(seriesIndex)
                    valueOfEntry[slot] = point.value
                }
            }
        }
    }

    /// An expression to compute ahead on a group's grid.
    struct Job: Hashable, Sendable {
        var expression: String
        var interval: Int64
    }

    struct Counters: Sendable {
        var evaluations = 0
        var precomputed = 0
        /// Failed evaluations per expression text.
        var errors: [String: Int] = [:]
    }

    let engine: PromQLEngine
    private let instant: PromQLRuleEvaluator
    private let windows = Mutex<[String: [Window]]>([:])
    private let counters = Mutex(Counters())

    init(engine: PromQLEngine) {
        self.engine = engine
        instant = PromQLRuleEvaluator(engine: engine)
    }

    func validate(_ expression: String) throws {
        try instant.validate(expression)
    }

    func evaluate(_ expression: String, at time: Int64) throws -> [(labels: Labels, value: Double)] {
        let prepared = windows.withLock { windows in
            windows[expression]?.lazy.compactMap { $0.samples(at: time) }.first
        }
        if let prepared {
            counters.withLock {
                $0.evaluations += 1
                $0.precomputed += 1
            }
            return prepared
        }
        do {
            let result = try instant.evaluate(expression, at: time)
            counters.withLock { $0.evaluations += 1 }
            return result
        } catch {
            counters.withLock {
                $0.evaluations += 1
                $0.errors[expression, default: 0] += 1
            }
            throw error
        }
    }

    /// Replaces what was prepared by the jobs' range queries over the evaluation times in
    /// `start...end` (each job's multiples of its interval there).
    func prepare(_ jobs: [Job], from start: Int64, through end: Int64) {
        windows.withLock { $0 = [:] }
        let computed = Mutex<[(Int, Window)]>([])
        let engine = engine
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let job = jobs[index]
            let first = Self.ceiling(start, job.interval)
            let last = Self.floor(end, job.interval)
            guard first <= last,
                  case .matrix(let matrix)? = try? engine.rangeQuery(job.expression, start: first, end: last, step: job.interval)
            else { return }
            let window = Window(start: first, step: job.interval, end: last, matrix: matrix)
            computed.withLock { $0.append((index, window)) }
        }
        // In job order, so that lookups do not depend on which thread finished first.
        let ordered = computed.withLock { $0 }.sorted { $0.0 < $1.0 }
        windows.withLock { windows in
            for (index, window) in ordered { windows[jobs[index].expression, default: []].append(window) }
        }
    }

    /// Drops what was prepared (evaluations go to the engine until the next `prepare`).
    func clear() {
        windows.withLock { $0 = [:] }
    }

    var snapshot: Counters { counters.withLock { $0 } }

    static func floor(_ value: Int64, _ interval: Int64) -> Int64 {
        let quotient = value / interval
        return (value % interval != 0 && value < 0 ? quotient - 1 : quotient) * interval
    }

    static func ceiling(_ value: Int64, _ interval: Int64) -> Int64 {
        let down = floor(value, interval)
        return down == value ? value : down + interval
    }
}
