import SluiceModel
import Yams

/// Everything wrong with one rule file, each problem with its place: line and column,
/// group, rule number (1-based, as promtool counts) and rule name.
public struct RuleFileError: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int?
        public var column: Int?
        public var group: String?
        public var ruleNumber: Int?
        public var ruleName: String?
        public var message: String

        public init(line: Int? = nil, column: Int? = nil, group: String? = nil, ruleNumber: Int? = nil,
                    ruleName: String? = nil, message: String) {
            self.line = line
            self.column = column
            self.group = group
            self.ruleNumber = ruleNumber
            self.ruleName = ruleName
            self.message = message
        }

        /// `12:7: group "node", rule 2, "HighCPU": could not parse expression: …`
        public var description: String {
            var text = ""
            if let line, let column { text += "\(line):\(column): " }
            if let group { text += "group \"\(group)\", " }
            if let ruleNumber { text += "rule \(ruleNumber), " }
            if let ruleName { text += "\"\(ruleName)\", " }
            if text.hasSuffix(", ") { text.removeLast(2); text += ": " }
            return text + message
        }
    }

    public var file: String
    public var problems: [Problem]

    public init(file: String, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(file): \($0)" }.joined(separator: "\n")
    }
}

/// Reads rule files in Prometheus's format, unchanged: `groups: [{name, interval, limit,
/// rules: [{alert, expr, for, keep_firing_for, labels, annotations} | {record, expr,
/// labels}]}]`. Checks what `promtool check rules` checks: unknown keys, durations,
/// repeated group names, label and metric names, templates, and each expression through
/// the evaluator. Collects every problem of a file before throwing.
public struct RuleFileParser: Sendable {
    public let evaluator: any RuleExpressionEvaluator

    public init(evaluator: any RuleExpressionEvaluator) { self.evaluator = evaluator }

    static let groupKeys = ["name", "interval", "limit", "rules"]
    static let ruleKeys = ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"]

    /// Loads every file matching the patterns (paths or globs), in pattern order and
    /// sorted within a pattern; a file matched twice is loaded once. A plain path (no
    /// glob characters) that does not exist is an error; a glob may match nothing.
    public func load(patterns: [String]) throws -> [RuleFile] {
        var seen = Set<String>()
        var files: [RuleFile] = []
        for pattern in patterns {
            var paths = AlertingFiles.glob(pattern)
            let isGlob = pattern.contains { "*?[".contains($0) }
            if paths.isEmpty, !isGlob {
                guard AlertingFiles.exists(pattern) else {
                    throw RuleFileError(file: pattern, problems: [.init(message: "no such rule file")])
                }
                paths = [pattern]
            }
            for path in paths where seen.insert(path).inserted {
                files.append(try load(path: path))
            }
        }
        return files
    }

    public func load(path: String) throws -> RuleFile {
        let bytes: [UInt8]
        do { bytes = try AlertingFiles.read(path) } catch {
            throw RuleFileError(file: path, problems: [.init(message: error.description)])
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }

    /// Parses the text of a rule file; `file` names it in errors and in the groups.
    public func parse(_ text: String, file: String) throws(RuleFileError) -> RuleFile {
        var problems: [RuleFileError.Problem] = []
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw RuleFileError(file: file, problems: [.init(message: "YAML: \(error)")])
        }
        guard let root, !Self.isNull(root) else { return RuleFile(path: file, groups: []) }
        guard let mapping = root.mapping else {
            throw RuleFileError(file: file, problems: [Self.problem(at: root, "the document must be a mapping with 'groups'")])
        }
        var groups: [RuleGroupDefinition] = []
        for (key, value) in mapping {
            guard key.string == "groups" else {
                problems.append(Self.problem(at: key, "unknown key '\(key.string ?? "?")' (known: groups)"))
                continue
            }
            if Self.isNull(value) { continue }
            guard let sequence = value.sequence else {
                problems.append(Self.problem(at: value, "'groups' must be a list"))
                continue
            }
            var names = Set<String>()
            for groupNode in sequence {
                if let group = parseGroup(groupNode, file: file, problems: &problems) {
                    if group.name.isEmpty {
                        problems.append(Self.problem(at: groupNode, "Groupname must not be empty"))
                    } else if !names.insert(group.name).inserted {
                        problems.append(Self.problem(at: groupNode, "groupname: \"\(group.name)\" is repeated in the same file"))
                    }
                    groups.append(group)
                }
            }
        }
        guard problems.isEmpty else { throw RuleFileError(file: file, problems: problems) }
        return RuleFile(path: file, groups: groups)
    }

    private func parseGroup(_ node: Node, file: String, problems: inout [RuleFileError.Problem]) -> RuleGroupDefinition? {
        guard let mapping = node.mapping else {
            problems.append(Self.problem(at: node, "a group must be a mapping with name and rules"))
            return nil
        }
        let fields = Self.fields(mapping, known: Self.groupKeys, context: "group", problems: &problems)
        let name = fields["name"].flatMap { Self.scalar($0, "name", problems: &problems) } ?? ""
        var group = RuleGroupDefinition(name: name, file: file, rules: [])
        if let intervalNode = fields["interval"], let text = Self.scalar(intervalNode, "interval", problems: &problems) {
            if let milliseconds = PrometheusDuration.milliseconds(text) {
                group.intervalMilliseconds = milliseconds > 0 ? milliseconds : nil
            } else {
                problems.append(Self.problem(at: intervalNode, group: name, "not a valid duration string: \"\(text)\""))
            }
        }
        if let limitNode = fields["limit"], let text = Self.scalar(limitNode, "limit", problems: &problems) {
            if let limit = Int(text), limit >= 0 { group.limit = limit } else {
                problems.append(Self.problem(at: limitNode, group: name, "limit must be a non-negative integer, not \"\(text)\""))
            }
        }
        if let rulesNode = fields["rules"], !Self.isNull(rulesNode) {
            guard let sequence = rulesNode.sequence else {
                problems.append(Self.problem(at: rulesNode, group: name, "'rules' must be a list"))
                return group
            }
            for (index, ruleNode) in sequence.enumerated() {
                if let rule = parseRule(ruleNode, group: name, number: index + 1, problems: &problems) {
                    group.rules.append(rule)
                }
            }
        }
        return group
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private func parseRule(_ node: Node, group: String, number: Int, problems: inout [RuleFileError.Problem]) -> RuleDefinition? {
        guard let mapping = node.mapping else {
            problems.append(Self.problem(at: node, group: group, rule: number, "a rule must be a mapping"))
            return nil
        }
        var local: [RuleFileError.Problem] = []
        let fields = Self.fields(mapping, known: Self.ruleKeys, context: "rule", problems: &local)
        let alert = fields["alert"].flatMap { Self.scalar($0, "alert", problems: &local) } ?? ""
        let record = fields["record"].flatMap { Self.scalar($0, "record", problems: &local) } ?? ""
        let ruleName = alert.isEmpty ? record : alert
        func fail(_ at: Node?, _ message: String) {
            local.append(Self.problem(at: at ?? node, message))
        }
        if !alert.isEmpty, !record.isEmpty { fail(fields["record"], "only one of 'record' and 'alert' must be set") }
        if alert.isEmpty, record.isEmpty { fail(fields["record"] ?? fields["alert"], "one of 'record' or 'alert' must be set") }

        let expression = fields["expr"].flatMap { Self.scalar($0, "expr", problems: &local) } ?? ""
        if expression.isEmpty {
            fail(fields["expr"], "field 'expr' must be set in rule")
        } else {
            do { try evaluator.validate(expression) } catch {
                fail(fields["expr"], "could not parse expression: \(error)")
            }
        }
        func duration(_ key: String) -> Int64 {
            guard let durationNode = fields[key], let text = Self.scalar(durationNode, key, problems: &local) else { return 0 }
            guard let milliseconds = PrometheusDuration.milliseconds(text) else {
                fail(durationNode, "\(key): not a valid duration string: \"\(text)\"")
                return 0
            }
            return milliseconds
        }
        let hold = duration("for")
        let keepFiringFor = duration("keep_firing_for")
        let labels = Self.stringMap(fields["labels"], "labels", problems: &local)
        let annotations = Self.stringMap(fields["annotations"], "annotations", problems: &local)
        for (name, _, _) in labels where !PrometheusNames.isValidLabelName(name) || name == "__name__" {
            fail(fields["labels"], "invalid label name: \(name)")
        }
        for (name, _, _) in annotations where !PrometheusNames.isValidLabelName(name) {
            fail(fields["annotations"], "invalid annotation name: \(name)")
        }

        var result: RuleDefinition?
        if !record.isEmpty, alert.isEmpty {
            if !annotations.isEmpty { fail(fields["record"], "invalid field 'annotations' in recording rule") }
            if hold != 0 { fail(fields["record"], "invalid field 'for' in recording rule") }
            if keepFiringFor != 0 { fail(fields["record"], "invalid field 'keep_firing_for' in recording rule") }
            if !PrometheusNames.isValidMetricName(record) { fail(fields["record"], "invalid recording rule name: \(record)") }
            result = .recording(RecordingRuleDefinition(
                name: record, expression: expression, labels: Labels(unsortedPairs: labels.map { ($0.name, $0.value) })))
        } else if !alert.isEmpty {
            func templates(_ entries: [(name: String, value: String, node: Node)], kind: String) -> [(name: String, template: AlertTemplate)] {
                entries.compactMap { entry in
                    do { return (entry.name, try AlertTemplate(entry.value)) } catch {
                        fail(entry.node, "\(kind) \"\(entry.name)\": \(error)")
                        return nil
                    }
                }
            }
            result = .alerting(AlertingRuleDefinition(
                name: alert, expression: expression, holdMilliseconds: hold, keepFiringForMilliseconds: keepFiringFor,
                labels: templates(labels, kind: "label"), annotations: templates(annotations, kind: "annotation")))
        }
        for problem in local {
            var placed = problem
            placed.group = group
            placed.ruleNumber = number
            placed.ruleName = ruleName
            problems.append(placed)
        }
        return local.isEmpty ? result : nil
    }

    // MARK: YAML helpers

    static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return node.tag == Tag(.null) }
        return false
    }

    static func problem(at node: Node, group: String? = nil, rule: Int? = nil, _ message: String) -> RuleFileError.Problem {
        RuleFileError.Problem(line: node.mark?.line, column: node.mark?.column, group: group, ruleNumber: rule, message: message)
    }

    /// The mapping's values by key; unknown and repeated keys are problems.
    static func fields(_ mapping: Node.Mapping, known: [String], context: String,
                       problems: inout [RuleFileError.Problem]) -> [String: Node] {
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, known.contains(name) else {
                problems.append(problem(at: key, "field \(key.string ?? "?") not found in \(context) (known: \(known.joined(separator: ", ")))"))
                continue
            }
            guard fields[name] == nil else {
                problems.append(problem(at: key, "mapping key \"\(name)\" already defined"))
                continue
            }
            // An explicit null is the same as leaving the key out.
            if !isNull(value) { fields[name] = value }
        }
        return fields
    }

    /// A scalar's text (numbers and booleans as written, as Go's YAML decoder gives them to a string).
    static func scalar(_ node: Node, _ key: String, problems: inout [RuleFileError.Problem]) -> String? {
        guard case .scalar(let scalar) = node else {
            problems.append(problem(at: node, "'\(key)' must be a single value"))
            return nil
        }
        return scalar.string
    }

    static func stringMap(_ node: Node?, _ key: String, problems: inout [RuleFileError.Problem]) -> [(name: String, value: String, node: Node)] {
        guard let node else { return [] }
        guard let mapping = node.mapping else {
            problems.append(problem(at: node, "'\(key)' must be a mapping of names to values"))
            return []
        }
        var entries: [(name: String, value: String, node: Node)] = []
        var seen = Set<String>()
        for (name, value) in mapping {
            guard let nameText = scalar(name, key, problems: &problems) else { continue }
            guard seen.insert(nameText).inserted else {
                problems.append(problem(at: name, "mapping key \"\(nameText)\" already defined"))
                continue
            }
            let valueText = isNull(value) ? "" : scalar(value, "\(key).\(nameText)", problems: &problems)
            if let valueText { entries.append((nameText, valueText, value)) }
        }
        return entries
    }
}
