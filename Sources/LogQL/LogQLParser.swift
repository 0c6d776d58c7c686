import SluiceModel

/// Parses the LogQL subset (SPEC §4) with Loki's syntax into a `LogQLExpression`.
public enum LogQLParser {
    /// Parses a log or metric query; errors carry the offending token's position.
    public static func parse(_ text: String) throws(LogQLError) -> LogQLExpression {
        var parser = try Parser(text)
        let expression = try parser.expression()
        try parser.expectEnd()
        return expression
    }

    /// Parses a bare stream selector `{a="b", …}` (for `/labels?query=`).
    public static func parseSelector(_ text: String) throws(LogQLError) -> [LabelMatcher] {
        var parser = try Parser(text)
        let matchers = try parser.selector()
        try parser.expectEnd()
        return matchers
    }
}

/// Recursive descent over the token list.
private struct Parser {
    typealias Kind = LogQLLexer.Kind
    private let tokens: [LogQLLexer.Token]
    private var index = 0

    init(_ text: String) throws(LogQLError) {
        tokens = try LogQLLexer.tokenize(text)
    }

    private var current: LogQLLexer.Token { tokens[index] }
    private var kind: Kind { tokens[index].kind }
    private func peekKind(_ offset: Int) -> Kind { tokens[min(index + offset, tokens.count - 1)].kind }
    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func unexpected(_ expecting: [String]) -> LogQLError {
        var message = "syntax error: unexpected \(kind.display)"
        if case .identifier(let name) = kind { message += " \(name)" }
        if !expecting.isEmpty { message += ", expecting " + expecting.joined(separator: " or ") }
        return LogQLError(.syntax, message, at: current.position)
    }

    private mutating func expect(_ expected: Kind) throws(LogQLError) {
        guard kind == expected else { throw unexpected([expected.display]) }
        advance()
    }

    mutating func expectEnd() throws(LogQLError) {
        guard kind == .end else { throw unexpected([]) }
    }

    private var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }

    private mutating func string() throws(LogQLError) -> String {
        guard case .string(let value) = kind else { throw unexpected(["STRING"]) }
        advance()
        return value
    }

    // MARK: Expressions

    mutating func expression() throws(LogQLError) -> LogQLExpression {
        if kind == .openBrace { return .log(try logQuery()) }
        if kind == .openParen {
            advance()
            let inner = try expression()
            try expect(.closeParen)
            return inner
        }
        return .metric(try metricQuery())
    }

    private mutating func metricQuery() throws(LogQLError) -> LogQLMetricQuery {
        if kind == .openParen {
            advance()
            let inner = try metricQuery()
            try expect(.closeParen)
            return inner
        }
        guard let name = identifier else {
            throw unexpected(["{", "(", "a range or vector aggregation"])
        }
        if let operation = LogQLRangeAggregation.Operation(rawValue: name) {
            return .range(try rangeAggregation(operation))
        }
        if let operation = LogQLVectorAggregation.Operation(rawValue: name) {
            return .vector(try vectorAggregation(operation))
        }
        throw unexpected(["{", "(", "a range or vector aggregation"])
    }

    private mutating func rangeAggregation(_ operation: LogQLRangeAggregation.Operation) throws(LogQLError) -> LogQLRangeAggregation {
        let position = current.position
        advance()
        try expect(.openParen)
        var query: LogQLLogQuery
        var range: Int64
        if kind == .openParen {
            // `count_over_time(({…} |= "x")[5m])`
            advance()
            query = try logQuery()
            try expect(.closeParen)
            range = try rangeLiteral()
        } else {
            let selectorMatchers = try selector()
            var stages = try pipeline()
            if kind == .openBracket, stages.isEmpty {
                // Loki also reads `count_over_time({…}[5m] | json)`.
                range = try rangeLiteral()
                stages = try pipeline()
            } else {
                range = try rangeLiteral(expectingStages: true)
            }
            query = LogQLLogQuery(matchers: selectorMatchers, stages: stages)
        }
        try expect(.closeParen)
        return LogQLRangeAggregation(operation: operation, query: query, rangeNanoseconds: range, position: position)
    }

    private mutating func rangeLiteral(expectingStages: Bool = false) throws(LogQLError) -> Int64 {
        guard kind == .openBracket else {
            throw unexpected(expectingStages ? ["[", "|", "|=", "!=", "|~", "!~"] : ["["])
        }
        advance()
        guard case .duration(let range) = kind else { throw unexpected(["DURATION"]) }
        guard range > 0 else {
            throw LogQLError(.semantic, "invalid range \(LogQLText.duration(range)): must be positive", at: current.position)
        }
        advance()
        try expect(.closeBracket)
        return range
    }

    private mutating func vectorAggregation(_ operation: LogQLVectorAggregation.Operation) throws(LogQLError) -> LogQLVectorAggregation {
        advance()
        var grouping = try optionalGrouping()
        try expect(.openParen)
        var parameter: Int?
        if operation == .topk || operation == .bottomk {
            guard case .number(let value) = kind else {
                throw LogQLError(.semantic, "invalid parameter for \(operation.rawValue): expecting a positive integer before the expression", at: current.position)
            }
            guard value == value.rounded(), value >= 1, value <= 1_000_000_000 else {
                throw LogQLError(.semantic, "invalid parameter \(operation.rawValue)(\(LogQLText.number(value)), …): must be a positive integer", at: current.position)
            }
            parameter = Int(value)
            advance()
            try expect(.comma)
        }
        if kind == .openBrace {
            throw LogQLError(.syntax, "syntax error: unexpected {, expecting a range aggregation such as count_over_time({…}[5m])", at: current.position)
        }
        let inner = try metricQuery()
        try expect(.closeParen)
        let afterPosition = current.position
        if let after = try optionalGrouping() {
            if grouping != nil {
                throw LogQLError(.syntax, "syntax error: grouping given twice", at: afterPosition)
            }
            grouping = after
        }
        return LogQLVectorAggregation(operation: operation, grouping: grouping, parameter: parameter, inner: inner)
    }

    private mutating func optionalGrouping() throws(LogQLError) -> LogQLGrouping? {
        guard let word = identifier, word == "by" || word == "without", peekKind(1) == .openParen else { return nil }
        advance()
        advance()
        var names: [String] = []
        while kind != .closeParen {
            if !names.isEmpty {
                guard kind == .comma else { throw unexpected([",", ")"]) }
                advance()
            }
            guard let name = identifier else { throw unexpected(names.isEmpty ? ["IDENTIFIER", ")"] : ["IDENTIFIER"]) }
            names.append(name)
            advance()
        }
        advance()
        return word == "by" ? .by(names) : .without(names)
    }

    // MARK: Log queries

    private mutating func logQuery() throws(LogQLError) -> LogQLLogQuery {
        let matchers = try selector()
        return LogQLLogQuery(matchers: matchers, stages: try pipeline())
    }

    mutating func selector() throws(LogQLError) -> [LabelMatcher] {
        let open = current.position
        try expect(.openBrace)
        var matchers: [LabelMatcher] = []
        while true {
            guard let name = identifier else { throw unexpected(["IDENTIFIER"]) }
            advance()
            let op: LabelMatcher.Operator
            switch kind {
            case .eq: op = .equal
            case .neq: op = .notEqual
            case .re: op = .matchesRegex
            case .nre: op = .notMatchesRegex
            default: throw unexpected(["=", "!=", "=~", "!~"])
            }
            advance()
            let valuePosition = current.position
            let value = try string()
            matchers.append(try matcher(name, op, value, at: valuePosition))
            if kind == .comma {
                advance()
                continue
            }
            guard kind == .closeBrace else { throw unexpected([",", "}"]) }
            advance()
            break
        }
        // Loki refuses selectors that would match every stream.
        if !matchers.contains(where: { ($0.op == .equal || $0.op == .matchesRegex) && !$0.matchesEmpty }) {
            throw LogQLError(.semantic, "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will", at: open)
        }
        return matchers
    }

    private func matcher(_ name: String, _ op: LabelMatcher.Operator, _ value: String, at position: LogQLPosition) throws(LogQLError) -> LabelMatcher {
        do {
            return try LabelMatcher(name: name, op: op, value: value)
        } catch {
            throw LogQLError(.semantic, "error parsing regexp \(LogQLText.quote(value)): \(error)", at: position)
        }
    }

    private mutating func pipeline() throws(LogQLError) -> [LogQLStage] {
        var stages: [LogQLStage] = []
        while true {
            switch kind {
            case .pipeExact, .neq, .pipeMatch, .nre:
                let op: LogQLLineFilter.Operator = switch kind {
                case .pipeExact: .contains
                case .neq: .notContains
                case .pipeMatch: .matches
                default: .notMatches
                }
                advance()
                let position = current.position
                let pattern = try string()
                var regex: Regex<AnyRegexOutput>?
                if op == .matches || op == .notMatches {
                    regex = try compile(pattern, at: position)
                }
                stages.append(.lineFilter(LogQLLineFilter(op: op, pattern: pattern, regex: regex)))
            case .pipe:
                advance()
                stages.append(try pipeStage())
            case .pipePattern:
                throw LogQLError(.syntax, "syntax error: the pattern filter |> is not supported", at: current.position)
            default:
                return stages
            }
        }
    }

    private static let comparisonKinds: [Kind] = [.eq, .cmpEq, .neq, .re, .nre, .gt, .gte, .lt, .lte]

    private mutating func pipeStage() throws(LogQLError) -> LogQLStage {
        if kind == .openParen { return .labelFilter(try labelFilterOr()) }
        guard let word = identifier else {
            throw unexpected(["json", "logfmt", "regexp", "line_format", "a label filter"])
        }
        let isFilter = Self.comparisonKinds.contains(peekKind(1))
        switch word {
        case "json" where !isFilter:
            advance()
            if case .identifier = kind, !Self.comparisonKinds.contains(peekKind(1)) {
                throw LogQLError(.syntax, "syntax error: json with parameters is not supported", at: current.position)
            }
            return .json
        case "logfmt" where !isFilter:
            advance()
            return .logfmt
        case "regexp" where !isFilter:
            advance()
            let position = current.position
            return .regexp(try regexpParser(try string(), at: position))
        case "line_format" where !isFilter:
            advance()
            let position = current.position
            let source = try string()
            do {
                return .lineFormat(try LogQLLineTemplate(parsing: source))
            } catch {
                throw LogQLError(.semantic, "invalid line_format template: \(error.message)", at: position)
            }
        case "label_format", "unwrap", "pattern", "unpack", "drop", "keep", "decolorize", "line_format", "ip":
            if !isFilter {
                throw LogQLError(.syntax, "syntax error: \(word) is not supported", at: current.position)
            }
            return .labelFilter(try labelFilterOr())
        default:
            return .labelFilter(try labelFilterOr())
        }
    }

    private func compile(_ pattern: String, at position: LogQLPosition) throws(LogQLError) -> Regex<AnyRegexOutput> {
        do {
            return try Regex(Self.rewriteNamedGroups(pattern))
        } catch {
            throw LogQLError(.semantic, "error parsing regexp \(LogQLText.quote(pattern)): \(error)", at: position)
        }
    }

    /// RE2's `(?P<name>` as Swift's `(?<name>`.
    static func rewriteNamedGroups(_ pattern: String) -> String {
        guard pattern.contains("(?P<") else { return pattern }
        var out = ""
        var scalars = pattern.unicodeScalars[...]
        var escaped = false
        while let scalar = scalars.first {
            if !escaped, scalar == "(", scalars.starts(with: "(?P<".unicodeScalars) {
                out += "(?<"
                scalars = scalars.dropFirst(4)
                continue
            }
            escaped = !escaped && scalar == "\\"
            out.unicodeScalars.append(scalar)
            scalars = scalars.dropFirst()
        }
        return out
    }

    private func regexpParser(_ pattern: String, at position: LogQLPosition) throws(LogQLError) -> LogQLRegexpParser {
        let regex = try compile(pattern, at: position)
        // Named groups in pattern order, found in the text (Regex does not list them).
        var names: [String] = []
        let rewritten = Array(Self.rewriteNamedGroups(pattern).unicodeScalars)
        var i = 0
        var escaped = false
        while i < rewritten.count {
            let scalar = rewritten[i]
            if !escaped, scalar == "(", i + 3 < rewritten.count, rewritten[i + 1] == "?", rewritten[i + 2] == "<",
               rewritten[i + 3] != "=", rewritten[i + 3] != "!" {
                var name = ""
                var j = i + 3
                while j < rewritten.count, rewritten[j] != ">" {
                    name.unicodeScalars.append(rewritten[j])
                    j += 1
                }
                guard LogQLText.isLabelName(name) else {
                    throw LogQLError(.semantic, "invalid extracted label name '\(name)'", at: position)
                }
                guard !names.contains(name) else {
                    throw LogQLError(.semantic, "duplicate extracted label name '\(name)'", at: position)
                }
                names.append(name)
                i = j
                continue
            }
            escaped = !escaped && scalar == "\\"
            i += 1
        }
        guard !names.isEmpty else {
            throw LogQLError(.semantic, "at least one named capture must be supplied", at: position)
        }
        return LogQLRegexpParser(pattern: pattern, names: names, regex: regex)
    }

    // MARK: Label filters (`or` binds looser than `and`, `,` and juxtaposition)

    private mutating func labelFilterOr() throws(LogQLError) -> LogQLLabelFilter {
        var filter = try labelFilterAnd()
        while identifier == "or", !Self.comparisonKinds.contains(peekKind(1)) {
            advance()
            filter = .or(filter, try labelFilterAnd())
        }
        return filter
    }

    private mutating func labelFilterAnd() throws(LogQLError) -> LogQLLabelFilter {
        var filter = try labelFilterPrimary()
        while true {
            if identifier == "and", !Self.comparisonKinds.contains(peekKind(1)) {
                advance()
            } else if kind == .comma {
                advance()
            } else if kind == .openParen || (identifier != nil && identifier != "or" && Self.comparisonKinds.contains(peekKind(1))) {
                // Juxtaposed filters `| a > 1 b < 2` mean `and`, as in Loki's grammar.
            } else {
                return filter
            }
            filter = .and(filter, try labelFilterPrimary())
        }
    }

    private mutating func labelFilterPrimary() throws(LogQLError) -> LogQLLabelFilter {
        if kind == .openParen {
            advance()
            let inner = try labelFilterOr()
            try expect(.closeParen)
            return inner
        }
        guard let name = identifier else { throw unexpected(["IDENTIFIER", "("]) }
        advance()
        let opKind = kind
        guard Self.comparisonKinds.contains(opKind) else {
            throw unexpected(["=", "==", "!=", "=~", "!~", ">", ">=", "<", "<="])
        }
        advance()
        let valuePosition = current.position
        var negative = false
        if kind == .sub || kind == .add {
            negative = kind == .sub
            advance()
            switch kind {
            case .number, .duration: break
            default: throw unexpected(["NUMBER", "DURATION"])
            }
        }
        let comparison: LogQLLabelFilter.Comparison? = switch opKind {
        case .eq, .cmpEq: .equal
        case .neq: .notEqual
        case .gt: .greater
        case .gte: .greaterOrEqual
        case .lt: .less
        case .lte: .lessOrEqual
        default: nil
        }
        switch kind {
        case .string(let value):
            let op: LabelMatcher.Operator
            switch opKind {
            case .eq, .cmpEq: op = .equal
            case .neq: op = .notEqual
            case .re: op = .matchesRegex
            case .nre: op = .notMatchesRegex
            default: throw unexpected(["NUMBER", "DURATION", "BYTES"])
            }
            advance()
            return .string(try matcher(name, op, value, at: valuePosition))
        case .number(let value):
            guard let comparison else { throw unexpected(["STRING"]) }
            advance()
            return .number(name: name, comparison, negative ? -value : value)
        case .duration(let value):
            guard let comparison else { throw unexpected(["STRING"]) }
            advance()
            return .duration(name: name, comparison, nanoseconds: negative ? -value : value)
        case .bytes(let value):
            guard let comparison else { throw unexpected(["STRING"]) }
            advance()
            return .bytes(name: name, comparison, value)
        default:
            throw unexpected(comparison == nil ? ["STRING"] : ["STRING", "NUMBER", "DURATION", "BYTES"])
        }
    }
}
