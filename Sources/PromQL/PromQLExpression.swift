import SluiceModel

/// The four types a PromQL expression can have, named as Prometheus documents them.
public enum PromQLValueType: String, Sendable, Equatable {
    case scalar
    case instantVector = "instant vector"
    case rangeVector = "range vector"
    case string
    /// Not a valid expression type (an empty argument list); only in error messages.
    case none
}

/// A parsed PromQL expression. Positions are byte offsets into the query text, used
/// for type errors found after parsing.
public indirect enum PromQLExpression: Sendable {
    case number(Double, position: Int)
    case string(String, position: Int)
    case vectorSelector(PromQLVectorSelector)
    case matrixSelector(PromQLMatrixSelector)
    /// `-x` (negate) or `+x`; a signed number literal is folded into `.number`.
    case unary(negate: Bool, PromQLExpression, position: Int)
    case binary(PromQLBinaryExpression)
    case aggregate(PromQLAggregateExpression)
    case call(PromQLCall)
    case parenthesized(PromQLExpression, position: Int)

    public var type: PromQLValueType {
        switch self {
        case .number: return .scalar
        case .string: return .string
        case .vectorSelector: return .instantVector
        case .matrixSelector: return .rangeVector
        case .unary(_, let operand, _): return operand.type
        case .binary(let binary):
            return binary.lhs.type == .scalar && binary.rhs.type == .scalar ? .scalar : .instantVector
        case .aggregate: return .instantVector
        case .call(let call): return call.function.returnType
        case .parenthesized(let inner, _): return inner.type
        }
    }

    /// Where the expression starts in the query text.
    public var position: Int {
        switch self {
        case .number(_, let position), .string(_, let position), .unary(_, _, let position),
             .parenthesized(_, let position):
            return position
        case .vectorSelector(let selector): return selector.position
        case .matrixSelector(let selector): return selector.selector.position
        case .binary(let binary): return binary.lhs.position
        case .aggregate(let aggregate): return aggregate.position
        case .call(let call): return call.position
        }
    }

    /// The expression without enclosing parentheses.
    var unwrapped: PromQLExpression {
        if case .parenthesized(let inner, _) = self { return inner.unwrapped }
        return self
    }
}

/// `metric{label="value", …} offset 5m`.
public struct PromQLVectorSelector: Sendable {
    /// The metric name written before the braces, if any (also present in `matchers`).
    public var name: String?
    /// Every matcher, with the name's `__name__="…"` matcher last, as Prometheus keeps them.
    public var matchers: [LabelMatcher]
    /// Milliseconds to look back from the evaluation time (negative looks ahead).
    public var offset: Int64
    public var position: Int

    public init(name: String?, matchers: [LabelMatcher], offset: Int64 = 0, position: Int = 0) {
        self.name = name
        self.matchers = matchers
        self.offset = offset
        self.position = position
    }
}

/// `selector[5m]`.
public struct PromQLMatrixSelector: Sendable {
    public var selector: PromQLVectorSelector
    /// The range in milliseconds.
    public var range: Int64

    public init(selector: PromQLVectorSelector, range: Int64) {
        self.selector = selector
        self.range = range
    }
}

public enum PromQLBinaryOperator: String, Sendable, Equatable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "^", atan2
    case equal = "==", notEqual = "!=", greater = ">", less = "<", greaterOrEqual = ">=", lessOrEqual = "<="
    case and, or, unless

    /// Binding strength, Prometheus's order: `or` < `and unless` < comparisons < `+ -` < `* / % atan2` < `^`.
    var precedence: Int {
        switch self {
        case .or: return 1
        case .and, .unless: return 2
        case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual: return 3
        case .add, .subtract: return 4
        case .multiply, .divide, .modulo, .atan2: return 5
        case .power: return 6
        }
    }

    var isRightAssociative: Bool { self == .power }

    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual: return true
        default: return false
        }
    }

    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }

    /// Arithmetic drops the metric name from its result; comparisons and sets keep it.
    var dropsMetricName: Bool {
        switch self {
        case .add, .subtract, .multiply, .divide, .modulo, .power: return true
        default: return false
        }
    }
}

/// How the series of two vectors are paired (`on`/`ignoring`, `group_left`/`group_right`).
public struct PromQLVectorMatching: Sendable, Equatable {
    public enum Cardinality: Sendable, Equatable {
        case oneToOne, manyToOne, oneToMany, manyToMany
    }

    public var cardinality: Cardinality
    /// The `on(...)` or `ignoring(...)` labels.
    public var matchingLabels: [String]
    /// True for `on`, false for `ignoring` (or neither).
    public var on: Bool
    /// The `group_left(...)`/`group_right(...)` labels copied from the "one" side.
    public var include: [String]

    public init(cardinality: Cardinality = .oneToOne, matchingLabels: [String] = [], on: Bool = false, include: [String] = []) {
        self.cardinality = cardinality
        self.matchingLabels = matchingLabels
        self.on = on
        self.include = include
    }
}

public struct PromQLBinaryExpression: Sendable {
    public var op: PromQLBinaryOperator
    public var lhs: PromQLExpression
    public var rhs: PromQLExpression
    /// Set only when both sides are instant vectors.
    public var matching: PromQLVectorMatching?
    /// `bool`: comparisons yield 0 or 1 instead of filtering.
    public var returnBool: Bool
    /// Where the operator is written.
    public var operatorPosition: Int
}

public enum PromQLAggregateOperator: String, Sendable, Equatable {
    case sum, avg, min, max, count, stddev, stdvar, group, topk, bottomk, quantile
    case countValues = "count_values"

    /// `topk(k, v)`, `quantile(q, v)`, `count_values("label", v)` take a parameter first.
    var takesParameter: Bool {
        self == .topk || self == .bottomk || self == .quantile || self == .countValues
    }
}

public struct PromQLAggregateExpression: Sendable {
    public var op: PromQLAggregateOperator
    public var expression: PromQLExpression
    public var parameter: PromQLExpression?
    /// The `by(...)` or `without(...)` labels.
    public var grouping: [String]
    public var without: Bool
    public var position: Int
}

public struct PromQLCall: Sendable {
    public var function: PromQLFunction
    public var arguments: [PromQLExpression]
    public var position: Int
}
