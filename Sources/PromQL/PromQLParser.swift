import SluiceModel

/// Recursive-descent parser for the PromQL subset, mirroring Prometheus's grammar:
/// precedence climbing over binary operators (`^` right-associative, unary minus binding
/// like `*` but looser than `^`), postfix `[range]` and `offset` on the nearest operand,
/// then a type check in Prometheus's order. Errors read like Prometheus's
/// (`1:14: parse error: unexpected …`) and carry the byte offset.
struct PromQLParser {
    typealias Item = PromQLLexer.Item

    private var lexer: PromQLLexer
    private let query: String
    private var token: Item
    /// The item after `token`, when the parser had to look ahead.
    private var buffered: Item?

    static func parse(_ text: String) throws(PromQLError) -> PromQLExpression {
        var parser = PromQLParser(text)
        try parser.start()
        if parser.token.kind == .eof {
            throw PromQLError.parse("no expression found in input", at: 0, in: text)
        }
        let expression = try parser.expression(minimumPrecedence: 0)
        if parser.token.kind != .eof { throw parser.unexpected() }
        _ = try PromQLTypeChecker(query: text).check(expression)
        return expression
    }

    private init(_ text: String) {
        lexer = PromQLLexer(text)
        query = text
        token = Item(kind: .eof, position: 0, text: "")
    }

    private mutating func start() throws(PromQLError) {
        token = lexer.nextSignificant()
        try failOnLexerError()
    }

    private mutating func advance() throws(PromQLError) {
        if let next = buffered {
            token = next
            buffered = nil
        } else {
            token = lexer.nextSignificant()
        }
        try failOnLexerError()
    }

    private mutating func peekNext() -> Item {
        if let buffered { return buffered }
        let next = lexer.nextSignificant()
        buffered = next
        return next
    }

    private func failOnLexerError() throws(PromQLError) {
        if token.kind == .error { throw error(token.text, at: token.position) }
    }

    private func error(_ message: String, at position: Int) -> PromQLError {
        PromQLError.parse(message, at: position, in: query)
    }

    /// Prometheus's "unexpected <item>[ in <context>][, expected <what>]".
    private func unexpected(_ context: String = "", expected: String = "") -> PromQLError {
        var message = "unexpected " + token.description
        if !context.isEmpty { message += " in " + context }
        if !expected.isEmpty { message += ", expected " + expected }
        return error(message, at: token.position)
    }

    // MARK: Expressions

    private mutating func expression(minimumPrecedence: Int) throws(PromQLError) -> PromQLExpression {
        var lhs = try unaryOrOperand()
        while case .binaryOperator(let op) = token.kind, op.precedence >= minimumPrecedence {
            let operatorPosition = token.position
            try advance()
            var returnBool = false
            var matching = PromQLVectorMatching()
            if token.kind == .keyword(.bool) {
                returnBool = true
                try advance()
            }
            if token.kind == .keyword(.on) || token.kind == .keyword(.ignoring) {
                matching.on = token.kind == .keyword(.on)
                try advance()
                matching.matchingLabels = try groupingLabels()
                if token.kind == .keyword(.groupLeft) || token.kind == .keyword(.groupRight) {
                    matching.cardinality = token.kind == .keyword(.groupLeft) ? .manyToOne : .oneToMany
                    try advance()
                    if token.kind == .leftParen { matching.include = try groupingLabels() }
                }
            }
            let rhs = try expression(minimumPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = .binary(PromQLBinaryExpression(
                op: op, lhs: lhs, rhs: rhs, matching: matching, returnBool: returnBool, operatorPosition: operatorPosition))
        }
        return lhs
    }

    private mutating func unaryOrOperand() throws(PromQLError) -> PromQLExpression {
        if case .binaryOperator(let op) = token.kind, op == .add || op == .subtract {
            let position = token.position
            try advance()
            // Like `*`: `-a ^ b` is `-(a ^ b)`, `-a * b` is `(-a) * b`.
            let operand = try expression(minimumPrecedence: PromQLBinaryOperator.power.precedence)
            if case .number(let value, _) = operand { return .number(op == .subtract ? -value : value, position: position) }
            return .unary(negate: op == .subtract, operand, position: position)
        }
        return try postfix(operand())
    }

    private mutating func operand() throws(PromQLError) -> PromQLExpression {
        let item = token
        switch item.kind {
        case .number:
            try advance()
            guard let value = Self.number(item.text) else {
                throw error("error parsing number: strconv.ParseFloat: parsing \(GoQuote.string(item.text)): invalid syntax", at: item.position)
            }
            return .number(value, position: item.position)
        case .string:
            let value = try unquote(item)
            try advance()
            return .string(value, position: item.position)
        case .leftParen:
            try advance()
            let inner = try expression(minimumPrecedence: 0)
            guard token.kind == .rightParen else { throw unexpected() }
            try advance()
            return .parenthesized(inner, position: item.position)
        case .leftBrace:
            return .vectorSelector(try vectorSelector(name: nil, position: item.position))
        case .identifier:
            if peekNext().kind == .leftParen { return try call() }
            try advance()
            return .vectorSelector(try vectorSelector(name: item.text, position: item.position))
        case .metricIdentifier:
            try advance()
            return .vectorSelector(try vectorSelector(name: item.text, position: item.position))
        case .aggregator(let op):
            let next = peekNext().kind
            if next == .leftParen || next == .keyword(.by) || next == .keyword(.without) {
                return try aggregation(op)
            }
            // An aggregator's name can still be a metric name (`count{job="a"}`).
            try advance()
            if next == .eof || next == .leftBrace || Self.endsOperand(next) {
                return .vectorSelector(try vectorSelector(name: item.text, position: item.position))
            }
            throw unexpected()
        case .keyword(let keyword) where [.by, .without, .offset, .start, .end].contains(keyword):
            // Prometheus lets these keywords name a metric too.
            let next = peekNext().kind
            guard next == .eof || next == .leftBrace || Self.endsOperand(next) else { throw unexpected() }
            try advance()
            return .vectorSelector(try vectorSelector(name: item.text, position: item.position))
        default:
            throw unexpected()
        }
    }

    /// Items that may follow a complete operand.
    private static func endsOperand(_ kind: PromQLLexer.Kind) -> Bool {
        switch kind {
        case .binaryOperator, .rightParen, .comma, .rightBracket, .leftBracket, .keyword(.offset), .at: return true
        default: return false
        }
    }

    /// `[range]`, `offset d` (also `offset -d`); `[a:b]` subqueries and `@` are refused.
    private mutating func postfix(_ base: PromQLExpression) throws(PromQLError) -> PromQLExpression {
        var expression = base
        while true {
            switch token.kind {
            case .leftBracket:
                let bracket = token.position
                try advance()
                guard token.kind == .duration else { throw unexpected("subquery selector", expected: "duration") }
                let range = try duration(token)
                try advance()
                if token.kind == .colon {
                    throw error("subqueries (expr[range:step]) are not supported", at: bracket)
                }
                guard token.kind == .rightBracket else { throw unexpected("subquery or range", expected: "\":\" or \"]\"") }
                try advance()
                guard case .vectorSelector(let selector) = expression else {
                    throw error("ranges only allowed for vector selectors", at: bracket)
                }
                if selector.offset != 0 { throw error("no offset modifiers allowed before range", at: bracket) }
                expression = .matrixSelector(PromQLMatrixSelector(selector: selector, range: range))
            case .keyword(.offset):
                try advance()
                var sign: Int64 = 1
                if token.kind == .binaryOperator(.subtract) {
                    sign = -1
                    try advance()
                }
                guard token.kind == .duration else { throw unexpected("offset", expected: "duration") }
                let offset = sign * (try duration(token))
                try advance()
                switch expression {
                case .vectorSelector(var selector):
                    if selector.offset != 0 { throw error("offset may not be set multiple times", at: selector.position) }
                    selector.offset = offset
                    expression = .vectorSelector(selector)
                case .matrixSelector(var matrix):
                    if matrix.selector.offset != 0 {
                        throw error("offset may not be set multiple times", at: matrix.selector.position)
                    }
                    matrix.selector.offset = offset
                    expression = .matrixSelector(matrix)
                default:
                    throw error("offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                                at: expression.position)
                }
            case .at:
                throw error("the @ modifier is not supported", at: token.position)
            default:
                return expression
            }
        }
    }

    // MARK: Selectors

    private mutating func vectorSelector(name: String?, position: Int) throws(PromQLError) -> PromQLVectorSelector {
        var matchers: [LabelMatcher] = []
        if token.kind == .leftBrace {
            try advance()
            while token.kind != .rightBrace {
                guard token.kind == .identifier else { throw unexpected("label matching", expected: "identifier or \"}\"") }
                let label = token
                try advance()
                let op: LabelMatcher.Operator
                switch token.kind {
                case .equal: op = .equal
                case .binaryOperator(.notEqual): op = .notEqual
                case .equalRegex: op = .matchesRegex
                case .notEqualRegex: op = .notMatchesRegex
                default: throw unexpected("label matching", expected: "label matching operator")
                }
                try advance()
                guard token.kind == .string else { throw unexpected("label matching", expected: "string") }
                let value = try unquote(token)
                do {
                    matchers.append(try LabelMatcher(name: label.text, op: op, value: value))
                } catch {
                    throw self.error("error parsing regexp: invalid regular expression \(GoQuote.string(value))", at: label.position)
                }
                try advance()
                if token.kind == .comma {
                    try advance()
                } else if token.kind != .rightBrace {
                    throw unexpected("label matching", expected: "\",\" or \"}\"")
                }
            }
            try advance()
        }
        if let name {
            matchers.append(try nameMatcher(name))
        }
        return PromQLVectorSelector(name: name, matchers: matchers, position: position)
    }

    private func nameMatcher(_ name: String) throws(PromQLError) -> LabelMatcher {
        do {
            return try LabelMatcher(name: "__name__", op: .equal, value: name)
        } catch {
            fatalError("an equality matcher compiles no regular expression")
        }
    }

    private func duration(_ item: Item) throws(PromQLError) -> Int64 {
        let milliseconds: Int64
        switch Self.parseDuration(item.text) {
        case .success(let value): milliseconds = value
        case .failure(.outOfRange): throw error("duration out of range", at: item.position)
        case .failure(.invalid): throw error("not a valid duration string: \(GoQuote.string(item.text))", at: item.position)
        }
        if milliseconds == 0 { throw error("duration must be greater than 0", at: item.position) }
        return milliseconds
    }

    // MARK: Aggregations and calls

    private mutating func aggregation(_ op: PromQLAggregateOperator) throws(PromQLError) -> PromQLExpression {
        let position = token.position
        try advance()
        var grouping: [String] = []
        var without = false
        var hasModifier = false
        if token.kind == .keyword(.by) || token.kind == .keyword(.without) {
            without = token.kind == .keyword(.without)
            try advance()
            grouping = try groupingLabels()
            hasModifier = true
        }
        guard token.kind == .leftParen else { throw unexpected("aggregation") }
        let arguments = try callArguments()
        if !hasModifier, token.kind == .keyword(.by) || token.kind == .keyword(.without) {
            without = token.kind == .keyword(.without)
            try advance()
            grouping = try groupingLabels()
        }
        if arguments.isEmpty { throw error("no arguments for aggregate expression provided", at: position) }
        let wanted = op.takesParameter ? 2 : 1
        if arguments.count != wanted {
            throw error("wrong number of arguments for aggregate expression provided, expected \(wanted), got \(arguments.count)",
                        at: position)
        }
        return .aggregate(PromQLAggregateExpression(
            op: op, expression: arguments[wanted - 1], parameter: op.takesParameter ? arguments[0] : nil,
            grouping: grouping, without: without, position: position))
    }

    private mutating func call() throws(PromQLError) -> PromQLExpression {
        let name = token
        try advance()
        let arguments = try callArguments()
        if PromQLFunction.unsupported.contains(name.text) {
            throw error("function \(GoQuote.string(name.text)) is not supported", at: name.position)
        }
        guard let function = PromQLFunction.lookUp(name.text) else {
            throw error("unknown function with name \(GoQuote.string(name.text))", at: name.position)
        }
        return .call(PromQLCall(function: function, arguments: arguments, position: name.position))
    }

    /// `( expr, expr, … )` starting at the `(`.
    private mutating func callArguments() throws(PromQLError) -> [PromQLExpression] {
        try advance()
        var arguments: [PromQLExpression] = []
        if token.kind == .rightParen {
            try advance()
            return arguments
        }
        while true {
            arguments.append(try expression(minimumPrecedence: 0))
            if token.kind == .comma {
                let comma = token.position
                try advance()
                if token.kind == .rightParen { throw error("trailing commas not allowed in function call args", at: comma) }
                continue
            }
            guard token.kind == .rightParen else { throw unexpected() }
            try advance()
            return arguments
        }
    }

    /// `(label, …)` after `by`, `without`, `on`, `ignoring`, `group_left`, `group_right`.
    private mutating func groupingLabels() throws(PromQLError) -> [String] {
        guard token.kind == .leftParen else { throw unexpected("grouping opts", expected: "\"(\"") }
        try advance()
        var labels: [String] = []
        while token.kind != .rightParen {
            guard Self.mayBeLabel(token.kind) else { throw unexpected("grouping opts", expected: "label") }
            if !PromQLLexer.isLabelName(token.text) { throw unexpected("grouping opts", expected: "label") }
            labels.append(token.text)
            try advance()
            if token.kind == .comma {
                try advance()
            } else if token.kind != .rightParen {
                throw unexpected("grouping opts", expected: "\",\" or \")\"")
            }
        }
        try advance()
        return labels
    }

    /// Keywords that can still be label names in grouping lists.
    private static func mayBeLabel(_ kind: PromQLLexer.Kind) -> Bool {
        switch kind {
        case .identifier, .metricIdentifier, .aggregator, .keyword: return true
        case .binaryOperator(let op): return op == .and || op == .or || op == .unless || op == .atan2
        default: return false
        }
    }

    // MARK: Literals

    /// Go's `strconv.ParseInt(text, 0, 64)`, falling back to `ParseFloat`.
    static func number(_ text: String) -> Double? {
        let lowered = text.lowercased()
        if lowered == "inf" || lowered == "+inf" { return .infinity }
        if lowered == "-inf" { return -.infinity }
        if lowered == "nan" { return .nan }
        if lowered.hasPrefix("0x"), let value = Int64(lowered.dropFirst(2), radix: 16) { return Double(value) }
        if lowered.count > 1, lowered.hasPrefix("0"), lowered.allSatisfy(\.isNumber), let value = Int64(lowered, radix: 8) {
            return Double(value)
        }
        if lowered.hasPrefix("0x") { return nil }
        return Double(lowered)
    }

    enum DurationProblem: Error {
        case invalid, outOfRange
    }

    /// Prometheus's `model.ParseDuration`: integer amounts of y, w, d, h, m, s, ms, each
    /// unit at most once and in that order, in all at most Go's largest `time.Duration`
    /// (about 292 years).
    static func parseDuration(_ text: String) -> Result<Int64, DurationProblem> {
        let units: [(String, Int64)] = [("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000),
                                        ("m", 60_000), ("s", 1_000), ("ms", 1)]
        let maximum = Int64.max / 1_000_000  // nanoseconds must fit an Int64
        var rest = Substring(text)
        var total: Int64 = 0
        var nextUnit = 0
        var outOfRange = false
        guard !rest.isEmpty else { return .failure(.invalid) }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return .failure(.invalid) }
            rest = rest.dropFirst(digits.count)
            let unit = rest.hasPrefix("ms") ? "ms" : String(rest.prefix(1))
            guard let index = units.firstIndex(where: { $0.0 == unit }), index >= nextUnit else { return .failure(.invalid) }
            rest = rest.dropFirst(unit.count)
            nextUnit = index + 1
            guard let amount = Int64(digits), amount <= maximum / units[index].1 else {
                outOfRange = true
                continue
            }
            total += amount * units[index].1
            if total > maximum { outOfRange = true }
        }
        return outOfRange ? .failure(.outOfRange) : .success(total)
    }

    static func durationMilliseconds(_ text: String) -> Int64? {
        try? parseDuration(text).get()
    }

    /// A string item's value: Go escapes inside `"…"` and `'…'`, none inside backquotes.
    private func unquote(_ item: Item) throws(PromQLError) -> String {
        var scalars = Array(item.text.unicodeScalars)
        guard scalars.count >= 2 else { throw error("unterminated quoted string", at: item.position) }
        let quote = scalars[0]
        scalars = Array(scalars[1..<(scalars.count - 1)])
        if quote == "`" { return String(String.UnicodeScalarView(scalars)) }
        var out = String.UnicodeScalarView()
        var index = 0
        func fail(_ message: String) -> PromQLError { error(message, at: item.position) }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "\\" else {
                out.append(scalar)
                continue
            }
            guard index < scalars.count else { throw fail("escape sequence not terminated") }
            let escape = scalars[index]
            index += 1
            switch escape {
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "\\", "\"", "'":
                guard escape == "\\" || escape == quote else {
                    throw fail("unknown escape sequence \(Self.runeName(escape))")
                }
                out.append(escape)
            case "0"..."7", "x", "u", "U":
                let (count, radix, maximum): (Int, UInt32, UInt32) =
                    switch escape {
                    case "x": (2, 16, 255)
                    case "u": (4, 16, 0x10FFFF)
                    case "U": (8, 16, 0x10FFFF)
                    default: (3, 8, 255)
                    }
                var value: UInt32 = 0
                var digitsRead = 0
                if radix == 8 {
                    value = escape.value - 48
                    digitsRead = 1
                }
                while digitsRead < count {
                    guard index < scalars.count else { throw fail("escape sequence not terminated") }
                    guard let digit = Int(String(scalars[index]), radix: Int(radix)) else {
                        throw fail("illegal character \(Self.runeName(scalars[index])) in escape sequence")
                    }
                    value = value * radix + UInt32(digit)
                    index += 1
                    digitsRead += 1
                }
                guard value <= maximum, !(0xD800..<0xE000).contains(value) else {
                    throw fail("escape sequence is an invalid Unicode code point")
                }
                if radix == 16 && (escape == "u" || escape == "U"), let decoded = Unicode.Scalar(value) {
                    out.append(decoded)
                } else if let byteScalar = Unicode.Scalar(value) {
                    // \x and octal escapes name bytes; Sluice keeps label values as Unicode.
                    out.append(byteScalar)
                }
            default:
                throw fail("unknown escape sequence \(Self.runeName(escape))")
            }
        }
        return String(out)
    }

    /// Go's `%#U`: `U+0071 'q'`.
    private static func runeName(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + " " + GoQuote.rune(scalar)
    }
}
