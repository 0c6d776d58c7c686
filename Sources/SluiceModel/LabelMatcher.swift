/// A stream-selector matcher (`name="v"`, `!=`, `=~`, `!~`), as LogQL and PromQL write
/// them. A missing label matches as the empty string, as in Prometheus. Regular
/// expressions are anchored at both ends (`=~"web.*"` must match the whole value).
public struct LabelMatcher: Sendable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case matchesRegex = "=~"
        case notMatchesRegex = "!~"
    }

    public let name: String
    public let op: Operator
    public let value: String
    private let regex: Regex<AnyRegexOutput>?

    /// Throws when a regex operator's value does not compile.
    public init(name: String, op: Operator, value: String) throws {
        self.name = name
        self.op = op
        self.value = value
        switch op {
        case .equal, .notEqual: regex = nil
        case .matchesRegex, .notMatchesRegex: regex = try Regex(value)
        }
    }

    public func matches(_ labels: Labels) -> Bool {
        matches(value: labels[name] ?? "")
    }

    public func matches(value candidate: String) -> Bool {
        switch op {
        case .equal: return candidate == value
        case .notEqual: return candidate != value
        case .matchesRegex: return (try? regex!.wholeMatch(in: candidate)) != nil
        case .notMatchesRegex: return (try? regex!.wholeMatch(in: candidate)) == nil
        }
    }

    /// True when the matcher can match a label set that lacks the label (`x=""`, `x!="a"`,
    /// `x=~".*"`): the store cannot use it to skip streams by name alone.
    public var matchesEmpty: Bool { matches(value: "") }

    public var description: String {
        var quoted = "\""
        for character in value.unicodeScalars {
            switch character {
            case "\\": quoted += "\\\\"
            case "\"": quoted += "\\\""
            default: quoted.unicodeScalars.append(character)
            }
        }
        return name + op.rawValue + quoted + "\""
    }
}

extension Regex: @retroactive @unchecked Sendable {}
