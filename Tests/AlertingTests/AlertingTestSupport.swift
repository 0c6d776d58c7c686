import Alerting
import SluiceModel
import Synchronization

/// A parse error as a query engine would throw it.
struct FakeParseError: Error, CustomStringConvertible {
    var description: String
}

/// An evaluator whose results the test sets: each expression returns what was last set
/// for it (nothing by default); `failing` makes it throw. Validation refuses unbalanced
/// parentheses and the word `bogus`, with a position, like a real parser.
final class FakeEvaluator: RuleExpressionEvaluator {
    private let state = Mutex<(results: [String: [(labels: Labels, value: Double)]], failing: Set<String>, calls: [(String, Int64)])>(([:], [], []))

    func set(_ expression: String, _ result: [(labels: Labels, value: Double)]) {
        state.withLock { $0.results[expression] = result }
    }

    func fail(_ expression: String, _ failing: Bool = true) {
        state.withLock { if failing { $0.failing.insert(expression) } else { $0.failing.remove(expression) } }
    }

    var calls: [(String, Int64)] { state.withLock { $0.calls } }

    func validate(_ expression: String) throws {
        var depth = 0
        for (index, character) in expression.enumerated() {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth < 0 { throw FakeParseError(description: "1:\(index + 1): parse error: unexpected right parenthesis ')'") }
        }
        if depth != 0 { throw FakeParseError(description: "1:\(expression.count + 1): parse error: unclosed left parenthesis") }
        if let range = expression.range(of: "bogus") {
            let column = expression.distance(from: expression.startIndex, to: range.lowerBound) + 1
            throw FakeParseError(description: "1:\(column): parse error: unknown function with name \"bogus\"")
        }
    }

    func evaluate(_ expression: String, at time: Int64) throws -> [(labels: Labels, value: Double)] {
        try state.withLock { state in
            state.calls.append((expression, time))
            if state.failing.contains(expression) { throw FakeParseError(description: "query failed: \(expression)") }
            return state.results[expression] ?? []
        }
    }
}

/// A transport that records requests and answers as scripted: a queue of outcomes
/// consumed one per request, then `fallback`.
final class FakeTransport: NotificationTransport {
    enum Outcome: Sendable {
        case status(Int)
        case error(String)
    }

    private let state = Mutex<(script: [Outcome], fallback: Outcome, requests: [(request: NotificationRequest, delivered: Bool)])>(([], .status(200), []))
    private let clock: ManualAlertingClock?
    private let times = Mutex<[Int64]>([])

    init(clock: ManualAlertingClock? = nil) { self.clock = clock }

    func script(_ outcomes: [Outcome], then fallback: Outcome = .status(200)) {
        state.withLock {
            $0.script = outcomes
            $0.fallback = fallback
        }
    }

    /// Every outcome from now on (the receiver goes down or comes back).
    func always(_ outcome: Outcome) { script([], then: outcome) }

    var requests: [NotificationRequest] { state.withLock { $0.requests.map(\.request) } }
    /// The bodies the receiver accepted (2xx), in order.
    var delivered: [[UInt8]] { state.withLock { $0.requests.filter(\.delivered).map(\.request.body) } }
    /// When each request was made (by the injected clock).
    var attemptTimes: [Int64] { times.withLock { $0 } }

    func post(_ request: NotificationRequest) throws -> NotificationResponse {
        if let clock { times.withLock { $0.append(clock.nowMilliseconds()) } }
        let outcome = state.withLock { state -> Outcome in
            let outcome = state.script.isEmpty ? state.fallback : state.script.removeFirst()
            var delivered = false
            if case .status(let code) = outcome, (200..<300).contains(code) { delivered = true }
            state.requests.append((request, delivered))
            return outcome
        }
        switch outcome {
        case .status(let code): return NotificationResponse(status: code, body: Array("answer \(code)".utf8))
        case .error(let message): throw NotificationTransportError(message)
        }
    }
}

/// Collects what the rule manager hands out.
final class SinkRecorder: Sendable {
    private let state = Mutex<(transitions: [AlertTransition], notifications: [[AlertNotification]], samples: [(Int64, [MetricSample])])>(([], [], []))

    var transitions: [AlertTransition] { state.withLock { $0.transitions } }
    var notifications: [[AlertNotification]] { state.withLock { $0.notifications } }
    var samples: [(Int64, [MetricSample])] { state.withLock { $0.samples } }

    var sinks: RuleManagerSinks {
        RuleManagerSinks(
            recordedSamples: { time, samples in self.state.withLock { $0.samples.append((time, samples)) } },
            transitions: { batch in self.state.withLock { $0.transitions += batch } },
            notifications: { batch in self.state.withLock { $0.notifications.append(batch) } })
    }
}

/// One-line rule files for tests.
func parseRules(_ text: String, evaluator: FakeEvaluator = FakeEvaluator(), file: String = "test.yml") throws(RuleFileError) -> RuleFile {
    try RuleFileParser(evaluator: evaluator).parse(text, file: file)
}
