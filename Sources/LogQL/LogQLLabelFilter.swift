import SluiceModel

/// A label filter expression: comparisons joined by `and` / `or`.
public indirect enum LogQLLabelFilter: Sendable, CustomStringConvertible {
    /// Comparison operators for numbers, durations and byte sizes.
    public enum Comparison: String, Sendable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case greater = ">"
        case greaterOrEqual = ">="
        case less = "<"
        case lessOrEqual = "<="

        func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool {
            switch self {
            case .equal: return lhs == rhs
            case .notEqual: return lhs != rhs
            case .greater: return lhs > rhs
            case .greaterOrEqual: return lhs >= rhs
            case .less: return lhs < rhs
            case .lessOrEqual: return lhs <= rhs
            }
        }
    }

    /// `name = "v"`, `!=`, `=~` (anchored), `!~`; a missing label is the empty string.
    case string(LabelMatcher)
    /// `name > 5`: the value parsed as a float (Go's `strconv.ParseFloat`).
    case number(name: String, Comparison, Double)
    /// `name > 250ms`: the value parsed as a Go duration (`time.ParseDuration`).
    case duration(name: String, Comparison, nanoseconds: Int64)
    /// `name > 10MB`: the value parsed as a byte size (go-humanize's `ParseBytes`).
    case bytes(name: String, Comparison, UInt64)
    case and(LogQLLabelFilter, LogQLLabelFilter)
    case or(LogQLLabelFilter, LogQLLabelFilter)

    public var description: String {
        switch self {
        case .string(let matcher): return LogQLText.matcher(matcher)
        case .number(let name, let op, let value): return "\(name) \(op.rawValue) \(LogQLText.number(value))"
        case .duration(let name, let op, let value): return "\(name) \(op.rawValue) \(LogQLText.duration(value))"
        case .bytes(let name, let op, let value): return "\(name) \(op.rawValue) \(value)B"
        case .and(let lhs, let rhs): return "(\(lhs) and \(rhs))"
        case .or(let lhs, let rhs): return "(\(lhs) or \(rhs))"
        }
    }

    /// Every label name the filter reads.
    var names: Set<String> {
        switch self {
        case .string(let matcher): return [matcher.name]
        case .number(let name, _, _), .duration(let name, _, _), .bytes(let name, _, _): return [name]
        case .and(let lhs, let rhs), .or(let lhs, let rhs): return lhs.names.union(rhs.names)
        }
    }
}
