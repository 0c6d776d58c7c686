import PromQL
import SluiceModel

/// Rules' expressions answered by the PromQL engine: the composition of the live rule
/// manager (over the metric store) and of replay (over a replay buffer).
public struct PromQLRuleEvaluator: RuleExpressionEvaluator {
    public let engine: PromQLEngine

    public init(engine: PromQLEngine) { self.engine = engine }

    public func validate(_ expression: String) throws {
        _ = try PromQLEngine.parse(expression)
    }

    public func evaluate(_ expression: String, at time: Int64) throws -> [(labels: Labels, value: Double)] {
        switch try engine.instantQuery(expression, at: time) {
        case .scalar(_, let value): return [(Labels(), value)]
        case .vector(let samples): return samples.map { ($0.labels, $0.value) }
        case .string, .matrix:
            throw PromQLError(kind: .badRequest, message: "rule expression must be a vector or scalar: \(expression)")
        }
    }
}
