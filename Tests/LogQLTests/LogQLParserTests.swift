import SluiceModel
import Testing
@testable import LogQL

@Suite struct LogQLParserTests {
    /// Parses and prints canonically; printing again after a re-parse must not change it.
    private func canonical(_ text: String) throws -> String {
        let printed = try LogQLParser.parse(text).description
        #expect(try LogQLParser.parse(printed).description == printed, "round trip of \(printed)")
        return printed
    }

    @Test func selectors() throws {
        #expect(try canonical(#"{a="b", c=~"x.*", d!="", e!~"y"}"#) == #"{a="b", c=~"x.*", d!="", e!~"y"}"#)
        #expect(try canonical("{a=`raw\\n`}") == #"{a="raw\\n"}"#)
        #expect(try canonical("{a=\"tab\\there\\u00e9\\x41\"}") == "{a=\"tab\\there\u{e9}A\"}")
        let matchers = try LogQLParser.parseSelector(#" { host =~ "web-.+" , level != "debug" } "#)
        #expect(matchers.map(\.description) == [#"host=~"web-.+""#, #"level!="debug""#])
    }

    @Test func lineFilters() throws {
        #expect(try canonical(#"{a="b"} |= "x" != "y" |~ "(?i)err" !~ `\d+`"#)
            == #"{a="b"} |= "x" != "y" |~ "(?i)err" !~ "\\d+""#)
    }

    @Test func parsersAndFormat() throws {
        #expect(try canonical(#"{a="b"} | json | logfmt | regexp "(?P<method>\\w+) (?P<path>\\S+)""#)
            == #"{a="b"} | json | logfmt | regexp "(?P<method>\\w+) (?P<path>\\S+)""#)
        #expect(try canonical(#"{a="b"} | line_format "{{.level}}: {{ .msg }} {{ __line__ }}""#)
            == #"{a="b"} | line_format "{{.level}}: {{ .msg }} {{ __line__ }}""#)
        guard case .log(let query) = try LogQLParser.parse(#"{a="b"} | line_format "x {{- .a -}} y {{__timestamp__}}""#),
              case .lineFormat(let template) = query.stages[0] else { Issue.record("no line_format"); return }
        #expect(template.segments == [.text(Array("x".utf8)), .label("a"), .text(Array("y ".utf8)), .timestamp])
    }

    @Test func labelFilterValues() throws {
        #expect(try canonical(#"{a="b"} | status >= 500"#) == #"{a="b"} | status >= 500"#)
        #expect(try canonical(#"{a="b"} | ratio < 0.5"#) == #"{a="b"} | ratio < 0.5"#)
        #expect(try canonical(#"{a="b"} | x == -3"#) == #"{a="b"} | x == -3"#)
        #expect(try canonical(#"{a="b"} | x = 3"#) == #"{a="b"} | x == 3"#)
        #expect(try canonical(#"{a="b"} | d > 10s"#) == #"{a="b"} | d > 10s"#)
        #expect(try canonical(#"{a="b"} | d > 1m30s"#) == #"{a="b"} | d > 1m30s"#)
        #expect(try canonical(#"{a="b"} | d > 250ms"#) == #"{a="b"} | d > 250ms"#)
        #expect(try canonical(#"{a="b"} | d > 1.5h"#) == #"{a="b"} | d > 1h30m"#)
        #expect(try canonical(#"{a="b"} | d > 3us"#) == #"{a="b"} | d > 3us"#)
        #expect(try canonical("{a=\"b\"} | d > 3µs") == #"{a="b"} | d > 3us"#)
        #expect(try canonical(#"{a="b"} | d > 7ns"#) == #"{a="b"} | d > 7ns"#)
        #expect(try canonical(#"{a="b"} | size > 1KB"#) == #"{a="b"} | size > 1000B"#)
        #expect(try canonical(#"{a="b"} | size > 10MiB"#) == #"{a="b"} | size > 10485760B"#)
        #expect(try canonical(#"{a="b"} | size > 20kb"#) == #"{a="b"} | size > 20000B"#)
        #expect(try canonical(#"{a="b"} | level = "info""#) == #"{a="b"} | level="info""#)
        #expect(try canonical(#"{a="b"} | level == "info""#) == #"{a="b"} | level="info""#)
        #expect(try canonical(#"{a="b"} | level =~ "in.*" | level !~ "x""#) == #"{a="b"} | level=~"in.*" | level!~"x""#)
    }

    @Test func labelFilterCombinations() throws {
        #expect(try canonical(#"{a="b"} | x > 1 and y < 2 or z = "q""#) == #"{a="b"} | ((x > 1 and y < 2) or z="q")"#)
        #expect(try canonical(#"{a="b"} | x > 1 or y < 2 and z = "q""#) == #"{a="b"} | (x > 1 or (y < 2 and z="q"))"#)
        #expect(try canonical(#"{a="b"} | x > 1, y < 2"#) == #"{a="b"} | (x > 1 and y < 2)"#)
        #expect(try canonical(#"{a="b"} | x > 1 y < 2"#) == #"{a="b"} | (x > 1 and y < 2)"#)
        #expect(try canonical(#"{a="b"} | (x > 1 or y < 2) and z = "q""#) == #"{a="b"} | ((x > 1 or y < 2) and z="q")"#)
    }

    @Test func keywordsAsLabelNames() throws {
        #expect(try canonical(#"{rate="b"} | json="x" | sum > 1"#) == #"{rate="b"} | json="x" | sum > 1"#)
    }

    @Test func metricQueries() throws {
        #expect(try canonical(#"count_over_time({a="b"}[5m])"#) == #"count_over_time({a="b"} [5m])"#)
        #expect(try canonical(#"rate({a="b"} |= "x" | json [1h30m])"#) == #"rate({a="b"} |= "x" | json [1h30m])"#)
        #expect(try canonical(#"bytes_over_time({a="b"}[1d])"#) == #"bytes_over_time({a="b"} [24h])"#)
        #expect(try canonical(#"bytes_rate({a="b"}[1w])"#) == #"bytes_rate({a="b"} [168h])"#)
        #expect(try canonical(#"count_over_time({a="b"}[250ms])"#) == #"count_over_time({a="b"} [250ms])"#)
        #expect(try canonical(#"count_over_time({a="b"}[1y])"#) == #"count_over_time({a="b"} [8760h])"#)
        #expect(try canonical(#"count_over_time({a="b"}[5m] | json)"#) == #"count_over_time({a="b"} | json [5m])"#)
        #expect(try canonical(#"count_over_time(({a="b"} |= "x")[5m])"#) == #"count_over_time({a="b"} |= "x" [5m])"#)
        #expect(try canonical(#"sum by (level, host) (count_over_time({a="b"}[1m]))"#)
            == #"sum by (level, host) (count_over_time({a="b"} [1m]))"#)
        #expect(try canonical(#"sum(count_over_time({a="b"}[1m])) by (level)"#)
            == #"sum by (level) (count_over_time({a="b"} [1m]))"#)
        #expect(try canonical(#"avg without (host) (rate({a="b"}[1m]))"#) == #"avg without (host) (rate({a="b"} [1m]))"#)
        #expect(try canonical(#"min(max by () (count_over_time({a="b"}[1m])))"#)
            == #"min(max by () (count_over_time({a="b"} [1m])))"#)
        #expect(try canonical(#"count(count_over_time({a="b"}[1m]))"#) == #"count(count_over_time({a="b"} [1m]))"#)
        #expect(try canonical(#"topk(3, sum by (x) (rate({a="b"}[1m])))"#) == #"topk(3, sum by (x) (rate({a="b"} [1m])))"#)
        #expect(try canonical(#"bottomk by (x) (2, count_over_time({a="b"}[1m]))"#)
            == #"bottomk by (x) (2, count_over_time({a="b"} [1m]))"#)
        #expect(try canonical(#"(sum(count_over_time({a="b"}[1m])))"#) == #"sum(count_over_time({a="b"} [1m]))"#)
        #expect(try canonical("# a comment\nsum(count_over_time({a=\"b\"}[1m])) # another") == #"sum(count_over_time({a="b"} [1m]))"#)
    }

    /// Each malformed query fails at the given line and column.
    @Test(arguments: [
        (#"{a="b"} |= x"#, 1, 12),
        (#"{a="b""#, 1, 7),
        (#"{a="b",}"#, 1, 8),
        (#"{}"#, 1, 2),
        (#"{a=~".*"}"#, 1, 1),
        (#"{a!="x"}"#, 1, 1),
        (#"{a=b}"#, 1, 4),
        (#"{a="b"} | status > "5""#, 1, 20),
        (#"{a="b"} | status =~ 5"#, 1, 21),
        (#"{a="b"} | status"#, 1, 17),
        (#"{a="b"} | > 5"#, 1, 11),
        (#"{a="b"} |~ "(""#, 1, 12),
        (#"{a=~"("}"#, 1, 5),
        (#"{a="b"} | regexp "(\\w+)""#, 1, 18),
        (#"{a="b"} | regexp "(?P<1x>\\w+)""#, 1, 18),
        (#"{a="b"} | line_format "{{ .a | upper }}""#, 1, 23),
        (#"count_over_time({a="b"})"#, 1, 24),
        (#"count_over_time({a="b"}[5])"#, 1, 25),
        (#"count_over_time({a="b"}[0s])"#, 1, 25),
        (#"count_over_time({a="b"}[5m]"#, 1, 28),
        (#"rate({a="b"} | json)"#, 1, 20),
        (#"topk(x, count_over_time({a="b"}[5m]))"#, 1, 6),
        (#"topk(2.5, count_over_time({a="b"}[5m]))"#, 1, 6),
        (#"topk(0, count_over_time({a="b"}[5m]))"#, 1, 6),
        (#"topk(count_over_time({a="b"}[5m]))"#, 1, 6),
        (#"sum({a="b"})"#, 1, 5),
        (#"sum by (a (count_over_time({a="b"}[5m]))"#, 1, 11),
        (#"sum by (a) (count_over_time({a="b"}[5m])) by (b)"#, 1, 43),
        (#"foo({a="b"})"#, 1, 1),
        (#"count_over_time({a="b"}[5m]) extra"#, 1, 30),
        ("{a=\"b\"}\n  |= \"x\"\n  | status >", 3, 13),
        ("{a=\"b\"}\n  |= \"unterminated", 2, 6),
        (#"{a="b"} |= "bad \q escape""#, 1, 17),
        (#"{a="b"} | d > 5xx"#, 1, 15),
        (#"{a="b"} ! "x""#, 1, 9),
        (#"{a="b"} |> "<_>""#, 1, 9),
        (#"{a="b"} | label_format x=y"#, 1, 11),
        (#""#, 1, 1),
        (#"sum(count_over_time({a="b"}[5m]) by (x)"#, 1, 34),
    ])
    func errorPositions(_ query: String, _ line: Int, _ column: Int) {
        do {
            let parsed = try LogQLParser.parse(query)
            Issue.record("parsed \(query) as \(parsed)")
        } catch {
            #expect(error.position == LogQLPosition(line: line, column: column), "\(query): \(error)")
            #expect(error.description.hasPrefix("parse error at line \(line), col \(column): "))
        }
    }

    @Test func errorMessagesFollowLoki() {
        #expect(throws: LogQLError(.syntax, "syntax error: unexpected IDENTIFIER x, expecting STRING", at: LogQLPosition(line: 1, column: 12))) {
            try LogQLParser.parse(#"{a="b"} |= x"#)
        }
        do {
            _ = try LogQLParser.parse(#"count_over_time({a="b"})"#)
        } catch {
            #expect(error.description == "parse error at line 1, col 24: syntax error: unexpected ), expecting [ or | or |= or != or |~ or !~")
        }
    }

    @Test func selectorErrors() {
        #expect(throws: LogQLError.self) { try LogQLParser.parseSelector(#"{a="b"} |= "x""#) }
        #expect(throws: LogQLError.self) { try LogQLParser.parseSelector(#"a="b""#) }
    }

    @Test func tokenNumbersAndUnits() throws {
        guard case .log(let query) = try LogQLParser.parse(#"{a="b"} | x > 1e3 | y < .5 | d >= 1h2m3s4ms5us6ns | s > 1.5KiB"#) else { return }
        let values = query.stages.compactMap { stage -> String? in
            if case .labelFilter(let filter) = stage { return filter.description }
            return nil
        }
        #expect(values == ["x > 1000", "y < 0.5", "d >= 1h2m3s4ms5us6ns", "s > 1536B"])
    }
}
