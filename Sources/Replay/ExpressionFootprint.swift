import PromQL
import SluiceModel

/// What a rule's expression reads: its selectors, and how far before an evaluation time
/// its data reaches. Replay uses it to size the warm-up read before the window and to
/// find the rules that read what recording rules write.
struct ExpressionFootprint: Sendable {
    /// The matchers of every selector, instant or range.
    var selectors: [[LabelMatcher]] = []
    /// The longest `range + offset` of its range selectors and `offset` of its instant
    /// selectors, in milliseconds, at least 0 (the lookback delta comes on top).
    var reach: Int64 = 0

    init(expression: PromQLExpression) {
        visit(expression)
    }

    /// Nil when the text does not parse (the rule file parser has refused it already).
    init?(text: String) {
        guard let expression = try? PromQLEngine.parse(text) else { return nil }
        self.init(expression: expression)
    }

    private mutating func visit(_ expression: PromQLExpression) {
        switch expression {
        case .number, .string:
            break
        case .vectorSelector(let selector):
            selectors.append(selector.matchers)
            reach = max(reach, selector.offset)
        case .matrixSelector(let matrix):
            selectors.append(matrix.selector.matchers)
            reach = max(reach, matrix.range + matrix.selector.offset)
        case .unary(_, let operand, _), .parenthesized(let operand, _):
            visit(operand)
        case .binary(let binary):
            visit(binary.lhs)
            visit(binary.rhs)
        case .aggregate(let aggregate):
            visit(aggregate.expression)
            if let parameter = aggregate.parameter { visit(parameter) }
        case .call(let call):
            for argument in call.arguments { visit(argument) }
        }
    }

    /// Whether some selector may select a series named one of `names`: all its `__name__`
    /// matchers accept one of them (a selector without a name matcher may select anything).
    func mayRead(anyOf names: Set<String>) -> Bool {
        guard !names.isEmpty else { return false }
        return selectors.contains { matchers in
            let nameMatchers = matchers.filter { $0.name == "__name__" }
            return names.contains { name in nameMatchers.allSatisfy { $0.matches(value: name) } }
        }
    }
}
