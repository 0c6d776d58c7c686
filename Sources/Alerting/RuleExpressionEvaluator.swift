import SluiceModel

/// What rules ask of a query engine. Alerting does not know PromQL's types: the
/// composition root adapts the engine to this, and tests use a fake.
public protocol RuleExpressionEvaluator: Sendable {
    /// Checks an expression at load time; throws an error naming the position of what is wrong.
    func validate(_ expression: String) throws
    /// The instant vector at `time` (milliseconds since the epoch); a scalar result is a
    /// one-element vector with empty labels. Labels include `__name__` where the series has one.
    func evaluate(_ expression: String, at time: Int64) throws -> [(labels: Labels, value: Double)]
}
