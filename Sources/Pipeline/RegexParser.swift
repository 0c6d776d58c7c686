import SluiceModel

/// Anything the built-in formats miss: a user's regular expression whose named captures
/// (`(?<status>\d+)`, or RE2's `(?P<status>\d+)`) become string fields. The pattern is
/// searched for, as Loki's `| regexp` does, not matched against the whole line.
/// Captures named like time, level or message fields fill those in too.
///
/// `@unchecked Sendable`: `Regex<AnyRegexOutput>` is not Sendable only because its
/// output type is not; the compiled program is immutable (`init` compiles it by matching
/// once), and matching shares nothing between calls.
public struct RegexParser: LogParser, @unchecked Sendable {
    /// Why a pattern was refused; names the pattern.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case invalidPattern(String, reason: String)
        case noNamedCaptures(String)

        public var description: String {
            switch self {
            case .invalidPattern(let pattern, let reason): "invalid regex \(pattern): \(reason)"
            case .noNamedCaptures(let pattern): "regex \(pattern) has no named captures to turn into fields"
            }
        }
    }

    public let pattern: String
    private let regex: Regex<AnyRegexOutput>

    public init(pattern: String) throws {
        do {
            regex = try Regex(pattern)
        } catch {
            throw Error.invalidPattern(pattern, reason: String(describing: error))
        }
        guard try regex.firstMatch(in: "")?.output.contains(where: { $0.name != nil }) ?? Self.hasNamedGroup(pattern)
        else { throw Error.noNamedCaptures(pattern) }
        self.pattern = pattern
    }

    public func parse(_ line: String, now: Timestamp) -> ParseResult? {
        guard let match = try? regex.firstMatch(in: line) else { return nil }
        var fields = ParsedFields()
        for element in match.output {
            guard let name = element.name, let text = element.substring else { continue }
            fields.append(name, .string(String(text)))
        }
        return ParseResult(structured: fields, format: .regex)
    }

    /// Whether the pattern declares a named group (checked textually when it cannot
    /// match the empty string, so the match above has no output to inspect).
    private static func hasNamedGroup(_ pattern: String) -> Bool {
        pattern.contains("(?<") && !pattern.contains("(?<=") && !pattern.contains("(?<!")
            || pattern.contains("(?P<") || pattern.contains("(?'")
    }
}
