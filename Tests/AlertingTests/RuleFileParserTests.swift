import Foundation
import SluiceModel
import Testing
import TestSupport
@testable import Alerting

/// Rule files in Prometheus's format: what loads, and what is refused with its place.
@Suite struct RuleFileParserTests {
    static let good = """
    groups:
      - name: node
        interval: 250ms
        limit: 10
        rules:
          - record: host:cpu_busy:avg5m
            expr: avg by (host) (rate(node_cpu_seconds_total[5m]))
            labels:
              source: sluice
          - alert: HighCPU
            expr: host:cpu_busy:avg5m > 0.9
            for: 1h30m
            keep_firing_for: 2m
            labels:
              severity: page
              team: "{{ $labels.host }}"
            annotations:
              summary: "CPU of {{ $labels.host }} at {{ $value | humanizePercentage }}"
      - name: plain
        rules:
          - alert: Always
            expr: 1
    """

    @Test func goodFileLoads() throws {
        let file = try parseRules(Self.good)
        #expect(file.groups.map(\.name) == ["node", "plain"])
        let node = file.groups[0]
        #expect(node.intervalMilliseconds == 250)
        #expect(node.limit == 10)
        #expect(node.file == "test.yml")
        guard case .recording(let record) = node.rules[0], case .alerting(let alert) = node.rules[1] else {
            Issue.record("rule kinds: \(node.rules)")
            return
        }
        #expect(record.name == "host:cpu_busy:avg5m")
        #expect(record.labels == ["source": "sluice"])
        #expect(alert.name == "HighCPU")
        #expect(alert.expression == "host:cpu_busy:avg5m > 0.9")
        #expect(alert.holdMilliseconds == 90 * 60_000)
        #expect(alert.keepFiringForMilliseconds == 120_000)
        #expect(alert.rawLabels == ["severity": "page", "team": "{{ $labels.host }}"])
        #expect(alert.annotations.map(\.name) == ["summary"])
        #expect(file.groups[1].intervalMilliseconds == nil)
        guard case .alerting(let always) = file.groups[1].rules[0] else { return }
        #expect(always.expression == "1")
        #expect(always.holdMilliseconds == 0)
    }

    @Test func emptyDocumentsHaveNoGroups() throws {
        #expect(try parseRules("").groups.isEmpty)
        #expect(try parseRules("groups:\n").groups.isEmpty)
        #expect(try parseRules("# only a comment\n").groups.isEmpty)
    }

    @Test func durationsInPrometheusSyntax() {
        #expect(PrometheusDuration.milliseconds("1m") == 60_000)
        #expect(PrometheusDuration.milliseconds("1h30m") == 5_400_000)
        #expect(PrometheusDuration.milliseconds("250ms") == 250)
        #expect(PrometheusDuration.milliseconds("1d2h") == 93_600_000)
        #expect(PrometheusDuration.milliseconds("0") == 0)
        #expect(PrometheusDuration.milliseconds("30m1h") == nil) // units out of order
        #expect(PrometheusDuration.milliseconds("1.5h") == nil)
        #expect(PrometheusDuration.milliseconds("5 minutes") == nil)
        #expect(PrometheusDuration.milliseconds("") == nil)
        #expect(PrometheusDuration.text(milliseconds: 5_400_250) == "1h30m250ms")
    }

    /// The problems a text gets, as promtool-like lines.
    func problems(_ text: String, evaluator: FakeEvaluator = FakeEvaluator()) -> [String] {
        do {
            _ = try parseRules(text, evaluator: evaluator, file: "rules/bad.yml")
            return []
        } catch {
            #expect(error.description.hasPrefix("rules/bad.yml: "))
            return error.problems.map(\.description)
        }
    }

    static func rule(_ body: String, group: String = "g") -> String {
        "groups:\n  - name: \(group)\n    rules:\n      - " + body.split(separator: "\n").joined(separator: "\n        ") + "\n"
    }

    @Test func unknownKeysAreRefused() {
        #expect(problems("groupz: []\n") == ["1:1: unknown key 'groupz' (known: groups)"])
        let group = problems("groups:\n  - name: g\n    intervall: 1m\n    rules: []\n")
        #expect(group.count == 1)
        #expect(group.first?.hasPrefix("3:5: field intervall not found in group") == true)
        let rule = problems(Self.rule("alert: A\nexpr: up == 0\nfour: 5m"))
        #expect(rule == ["6:9: group \"g\", rule 1, \"A\": field four not found in rule (known: record, alert, expr, for, keep_firing_for, labels, annotations)"])
    }

    @Test func badDurations() {
        let found = problems(Self.rule("alert: A\nexpr: up\nfor: 5 minutes"))
        #expect(found == ["6:14: group \"g\", rule 1, \"A\": for: not a valid duration string: \"5 minutes\""])
        #expect(problems("groups:\n  - name: g\n    interval: 1.5s\n    rules: []\n").first?.contains("not a valid duration string: \"1.5s\"") == true)
    }

    @Test func repeatedGroupNames() {
        let found = problems("groups:\n  - name: a\n    rules: []\n  - name: a\n    rules: []\n")
        #expect(found == ["4:5: groupname: \"a\" is repeated in the same file"])
        #expect(problems("groups:\n  - rules: []\n") == ["2:5: Groupname must not be empty"])
    }

    @Test func invalidNames() {
        #expect(problems(Self.rule("alert: A\nexpr: up\nlabels:\n  bad-name: x")).first?.contains("invalid label name: bad-name") == true)
        #expect(problems(Self.rule("alert: A\nexpr: up\nlabels:\n  __name__: x")).first?.contains("invalid label name: __name__") == true)
        #expect(problems(Self.rule("alert: A\nexpr: up\nannotations:\n  \"a b\": x")).first?.contains("invalid annotation name: a b") == true)
        #expect(problems(Self.rule("record: 1bad\nexpr: up")).first?.contains("invalid recording rule name: 1bad") == true)
    }

    @Test func expressionsAreValidatedThroughTheEvaluator() {
        let found = problems(Self.rule("alert: A\nexpr: rate(up[5m]"))
        #expect(found == ["5:15: group \"g\", rule 1, \"A\": could not parse expression: 1:12: parse error: unclosed left parenthesis"])
        #expect(problems(Self.rule("record: r\nexpr: bogus(up)")).first?.contains("could not parse expression: 1:1: parse error: unknown function") == true)
        #expect(problems(Self.rule("alert: A")).first?.contains("field 'expr' must be set in rule") == true)
    }

    @Test func ruleKindsAndTheirFields() {
        #expect(problems(Self.rule("alert: A\nrecord: r\nexpr: up")).first?.contains("only one of 'record' and 'alert' must be set") == true)
        #expect(problems(Self.rule("expr: up")).first?.contains("one of 'record' or 'alert' must be set") == true)
        #expect(problems(Self.rule("record: r\nexpr: up\nfor: 1m")).first?.contains("invalid field 'for' in recording rule") == true)
        #expect(problems(Self.rule("record: r\nexpr: up\nannotations:\n  a: b")).first?.contains("invalid field 'annotations' in recording rule") == true)
    }

    @Test func templatesAreCheckedAtLoad() {
        let found = problems(Self.rule("alert: A\nexpr: up\nannotations:\n  summary: \"{{ $value | frobnicate }}\""))
        #expect(found.count == 1)
        #expect(found.first == "7:20: group \"g\", rule 1, \"A\": annotation \"summary\": template: col 13: function \"frobnicate\" not defined")
    }

    @Test func everyProblemOfAFileIsReported() {
        let text = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up(\n      - record: bad name\n        expr: up\n"
        let found = problems(text)
        #expect(found.count == 2)
        #expect(found[0].contains("rule 1, \"A\""))
        #expect(found[1].contains("rule 2, \"bad name\": invalid recording rule name"))
    }

    @Test func syntaxErrorsNameTheFile() {
        #expect(problems("groups: [\n").first?.hasPrefix("YAML: ") == true)
        #expect(problems("- a\n- b\n") == ["1:1: the document must be a mapping with 'groups'"])
    }

    @Test func loadsFilesByGlob() throws {
        let folder = TemporaryDirectory()
        try "groups:\n  - name: b\n    rules: []\n".write(toFile: folder.sub("b.yml"), atomically: true, encoding: .utf8)
        try "groups:\n  - name: a\n    rules: []\n".write(toFile: folder.sub("a.yml"), atomically: true, encoding: .utf8)
        try "not: rules".write(toFile: folder.sub("c.txt"), atomically: true, encoding: .utf8)
        let parser = RuleFileParser(evaluator: FakeEvaluator())
        let files = try parser.load(patterns: [folder.sub("*.yml"), folder.sub("a.yml")])
        #expect(files.map(\.path) == [folder.sub("a.yml"), folder.sub("b.yml")])
        #expect(files.flatMap(\.groups).map(\.file) == [folder.sub("a.yml"), folder.sub("b.yml")])
        #expect(try parser.load(patterns: [folder.sub("none-*.yml")]).isEmpty)
        #expect(throws: RuleFileError.self) { try parser.load(patterns: [folder.sub("missing.yml")]) }
    }

    /// The default rule files of `etc/rules/` load here too (promtool accepts them; see
    /// DefaultRuleFilesTests for the promtool check itself).
    @Test func defaultRuleFilesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let files = try RuleFileParser(evaluator: FakeEvaluator()).load(patterns: [root.path + "/etc/rules/*.yml"])
        let names = files.flatMap(\.groups).flatMap(\.rules).map(\.name)
        #expect(Set(names) == ["HighCPU", "LowMemory", "NetworkErrors", "DiskAlmostFull", "AgentSilent", "AgentDataGap"])
        for case .alerting(let rule) in files.flatMap(\.groups).flatMap(\.rules) {
            #expect(rule.holdMilliseconds > 0, "\(rule.name) has a for")
            #expect(rule.rawLabels["severity"] != nil, "\(rule.name) has a severity")
            #expect(rule.rawAnnotations["summary"]?.contains("$labels") == true, "\(rule.name) summary")
            // AgentSilent's value is only a marker (1): its description says how long instead.
            #expect(rule.rawAnnotations["description"]?.contains(rule.name == "AgentSilent" ? "$labels" : "$value") == true,
                    "\(rule.name) description")
        }
    }
}
