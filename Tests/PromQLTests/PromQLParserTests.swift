import SluiceModel
import Testing
@testable import PromQL

/// A bracketed rendering of the tree, to check precedence and associativity.
private func tree(_ expression: PromQLExpression) -> String {
    switch expression {
    case .number(let value, _): return value == value.rounded() && value.magnitude < 1e15 ? String(Int64(value)) : "\(value)"
    case .string(let value, _): return "\"\(value)\""
    case .vectorSelector(let selector):
        let offset = selector.offset == 0 ? "" : " offset \(selector.offset)"
        return (selector.name ?? "{\(selector.matchers.map(\.description).joined(separator: ","))}") + offset
    case .matrixSelector(let matrix):
        let offset = matrix.selector.offset == 0 ? "" : " offset \(matrix.selector.offset)"
        return (matrix.selector.name ?? "{}") + "[\(matrix.range)]" + offset
    case .unary(let negate, let operand, _): return (negate ? "-" : "+") + tree(operand)
    case .binary(let binary):
        var modifiers = binary.returnBool ? " bool" : ""
        if let matching = binary.matching, !matching.matchingLabels.isEmpty || matching.on {
            modifiers += (matching.on ? " on(" : " ignoring(") + matching.matchingLabels.joined(separator: ",") + ")"
        }
        if let matching = binary.matching, matching.cardinality == .manyToOne || matching.cardinality == .oneToMany {
            modifiers += (matching.cardinality == .manyToOne ? " group_left(" : " group_right(") + matching.include.joined(separator: ",") + ")"
        }
        return "(\(tree(binary.lhs)) \(binary.op.rawValue)\(modifiers) \(tree(binary.rhs)))"
    case .aggregate(let aggregate):
        let grouping = aggregate.grouping.isEmpty && !aggregate.without ? "" : (aggregate.without ? " without(" : " by(") + aggregate.grouping.joined(separator: ",") + ")"
        let parameter = aggregate.parameter.map { tree($0) + ", " } ?? ""
        return "\(aggregate.op.rawValue)\(grouping)(\(parameter)\(tree(aggregate.expression)))"
    case .call(let call): return "\(call.function.name)(\(call.arguments.map(tree).joined(separator: ", ")))"
    case .parenthesized(let inner, _): return "[\(tree(inner))]"
    }
}

private func parsed(_ text: String) throws -> String { tree(try PromQLEngine.parse(text)) }

private func parseError(_ text: String) -> PromQLError? {
    do {
        _ = try PromQLEngine.parse(text)
        return nil
    } catch let error as PromQLError {
        return error
    } catch {
        return nil
    }
}

@Suite struct PromQLParserTests {
    @Test(arguments: [
        ("a + b * c", "(a + (b * c))"),
        ("a * b + c", "((a * b) + c)"),
        ("a - b - c", "((a - b) - c)"),
        ("a ^ b ^ c", "(a ^ (b ^ c))"),
        ("-a ^ b", "-(a ^ b)"),
        ("-a * b", "(-a * b)"),
        ("a or b and c", "(a or (b and c))"),
        ("a and b unless c", "((a and b) unless c)"),
        ("a == b + c", "(a == (b + c))"),
        ("a > b or c < d", "((a > b) or (c < d))"),
        ("a / b % c atan2 d", "(((a / b) % c) atan2 d)"),
        ("2 ^ -1 * 3", "((2 ^ -1) * 3)"),
        ("(a + b) * c", "([(a + b)] * c)"),
        ("a + b offset 5m", "(a + b offset 300000)"),
        ("- - a", "--a"),
        ("-1", "-1"),
    ])
    func precedenceAndAssociativity(text: String, expected: String) throws {
        #expect(try parsed(text) == expected)
    }

    @Test func everyConstructParses() throws {
        #expect(try parsed(#"metric{a="b",c=~"x.*",d!="e",f!~"g",}"#) == #"metric"#)
        #expect(try parsed(#"{__name__=~"up|down"}"#) == #"{__name__=~"up|down"}"#)
        #expect(try parsed("rate(x[1h30m])") == "rate(x[5400000])")
        #expect(try parsed("x[5m] offset 1m") == "x[300000] offset 60000")
        #expect(try parsed("x offset -5m") == "x offset -300000")
        #expect(try parsed("sum by (a, b) (x)") == "sum by(a,b)(x)")
        #expect(try parsed("sum(x) without (a)") == "sum without(a)(x)")
        #expect(try parsed("topk(3, x)") == "topk(3, x)")
        #expect(try parsed("quantile by (le) (0.9, x)") == "quantile by(le)(0.9, x)")
        #expect(try parsed(#"count_values("v", x)"#) == #"count_values("v", x)"#)
        #expect(try parsed("a > bool b") == "(a > bool b)")
        #expect(try parsed("a * on(x, y) group_left(z) b") == "(a * on(x,y) group_left(z) b)")
        #expect(try parsed("a / ignoring(x) group_right b") == "(a / ignoring(x) group_right() b)")
        #expect(try parsed("a and on() b") == "(a and on() b)")
        #expect(try parsed(#"label_replace(x, "d", "$1", "s", "(.*)")"#) == #"label_replace(x, "d", "$1", "s", "(.*)")"#)
        #expect(try parsed("histogram_quantile(0.9, rate(x_bucket[5m]))") == "histogram_quantile(0.9, rate(x_bucket[300000]))")
        #expect(try parsed("x # a comment\n + 1") == "(x + 1)")
        #expect(try parsed("SUM(x) BY (a)") == "sum by(a)(x)")
        #expect(try parsed("sum by (on, offset, sum) (x)") == "sum by(on,offset,sum)(x)")
        #expect(try parsed(#"x{a='single', b=`raw\n`}"#) == "x")
        #expect(try parsed("0x1F + 1e3 + .5 + Inf + NaN") != "")
        for text in ["time()", "vector(1)", "scalar(x)", "absent(x)", "absent_over_time(x[5m])", "sort(x)", "sort_desc(x)",
                     "timestamp(x)", #"label_join(x, "d", ",", "a", "b")"#, "clamp(x, 0, 1)", "round(x, 5)", "deriv(x[5m])",
                     "quantile_over_time(0.5, x[5m])", "changes(x[5m])", "resets(x[5m])", "stddev(x)", "group(x)"] {
            #expect(throws: Never.self) { try PromQLEngine.parse(text) }
        }
    }

    @Test func selectorsKeepTheirMatchers() throws {
        guard case .vectorSelector(let selector) = try PromQLEngine.parse(#"up{job="a", instance=~"i.*"} offset 1h"#) else {
            Issue.record("not a selector")
            return
        }
        #expect(selector.name == "up")
        #expect(selector.matchers.map(\.description) == [#"job="a""#, #"instance=~"i.*""#, #"__name__="up""#])
        #expect(selector.offset == 3_600_000)
    }

    /// Messages and positions as Prometheus 2.42 reports them (checked against the binary).
    @Test(arguments: [
        ("foo{", "1:5: parse error: unexpected end of input inside braces"),
        ("sum(foo) by", #"1:12: parse error: unexpected end of input in grouping opts, expected "(""#),
        ("rate(foo)", #"1:6: parse error: expected type range vector in call to function "rate", got instant vector"#),
        ("foo[5m] + 1", "1:1: parse error: binary expression must contain only scalar and instant vector types"),
        ("1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"),
        ("foo offset 5m[5m]", "1:14: parse error: no offset modifiers allowed before range"),
        (#"{a=""}"#, "1:1: parse error: vector selector must contain at least one non-empty matcher"),
        ("foo ^^ 2", "1:6: parse error: unexpected <op:^>"),
        (#"x{a="b"} + on(a) group_left(a) y"#, #"1:10: parse error: label "a" must not occur in ON and GROUP clause at once"#),
        ("(foo", "1:5: parse error: unclosed left parenthesis"),
        ("foo)", "1:5: parse error: unexpected right parenthesis ')'"),
        ("unknown_fn(foo)", #"1:1: parse error: unknown function with name "unknown_fn""#),
        ("topk(foo, bar)", "1:6: parse error: expected type scalar in aggregation parameter, got instant vector"),
        ("5m", #"1:1: parse error: unexpected duration "5m""#),
        ("sum by (a) (x) without (b)", "1:16: parse error: unexpected <without>"),
        ("-", "1:2: parse error: unexpected end of input"),
        ("foo[0s]", "1:5: parse error: duration must be greater than 0"),
        ("foo[5x]", #"1:5: parse error: bad duration syntax: "5""#),
        ("count_values(1, foo)", "1:14: parse error: expected type string in aggregation parameter, got scalar"),
        ("sum()", "1:1: parse error: no arguments for aggregate expression provided"),
        ("foo and 1", #"1:1: parse error: set operator "and" not allowed in binary scalar expression"#),
        ("rate(foo[5m], 1)", #"1:1: parse error: expected 1 argument(s) in call to "rate", got 2"#),
        ("foo{a}", #"1:6: parse error: unexpected "}" in label matching, expected label matching operator"#),
        (#"foo{a="b" c="d"}"#, #"1:11: parse error: unexpected identifier "c" in label matching, expected "," or "}""#),
        ("sum by (a b) (x)", #"1:11: parse error: unexpected identifier "b" in grouping opts, expected "," or ")""#),
        ("foo offset bar", #"1:12: parse error: unexpected identifier "bar" in offset, expected duration"#),
        ("rate(foo[5m],)", "1:13: parse error: trailing commas not allowed in function call args"),
        ("1 + bool 2", "1:3: parse error: bool modifier can only be used on comparison operators"),
        ("-foo[5m]", #"1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector""#),
        (#"foo{a="\q"}"#, "1:7: parse error: unknown escape sequence U+0071 'q'"),
        ("sum(a) by (b) offset 5m", "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"),
        ("foo offset 5m offset 5m", "1:1: parse error: offset may not be set multiple times"),
        ("foo\n  + )", "2:6: parse error: unexpected right parenthesis ')'"),
        ("", "1:1: parse error: no expression found in input"),
    ])
    func errorsCarryPrometheusPositions(text: String, expected: String) {
        let error = parseError(text)
        #expect(error?.description == expected)
        #expect(error?.kind == .parse)
    }

    @Test func errorPositionIsAByteOffset() {
        let error = parseError(#"sum(rate(x[5m])) by (job) ^^ 1"#)
        #expect(error?.position == 27)
        #expect(error?.lineAndColumn?.column == 28)
    }

    @Test func subqueriesAndAtAreRejectedClearly() {
        #expect(parseError("rate(x[5m:1m])")?.description == "1:7: parse error: subqueries (expr[range:step]) are not supported")
        #expect(parseError("x @ 1700000000")?.description == "1:3: parse error: the @ modifier is not supported")
        #expect(parseError("x @ start()")?.kind == .parse)
    }

    @Test func durationsFollowPrometheusRules() {
        #expect(PromQLParser.durationMilliseconds("1h30m") == 5_400_000)
        let expected: Int64 = 31_536_000_000 + 1_209_600_000 + 259_200_000 + 14_400_000 + 300_000 + 6_000 + 7
        #expect(PromQLParser.durationMilliseconds("1y2w3d4h5m6s7ms") == expected)
        #expect(PromQLParser.durationMilliseconds("30m1h") == nil)  // units out of order
        #expect(PromQLParser.durationMilliseconds("1.5h") == nil)
        #expect(PromQLParser.durationMilliseconds("292y") == Int64(9_208_512_000_000))
        #expect(parseError("foo[300y]")?.description == "1:5: parse error: duration out of range")
        #expect(parseError("foo offset 100000000000000000000y")?.description == "1:12: parse error: duration out of range")
    }

    @Test func numbersFollowGoParsing() {
        #expect(PromQLParser.number("0x1f") == 31)
        #expect(PromQLParser.number("017") == 15)  // Go's base-0 ParseInt reads a leading 0 as octal
        #expect(PromQLParser.number("08") == 8)
        #expect(PromQLParser.number("1e3") == 1000)
        #expect(PromQLParser.number("Inf") == .infinity)
        #expect(PromQLParser.number("nan")?.isNaN == true)
    }
}
