import SluiceModel

/// A label or annotation value of an alerting rule, in the subset of Go's text/template
/// that Prometheus rule files use in practice: `{{ $labels.instance }}`, `{{ $value }}`,
/// `{{ .Labels.x }}`, `{{ .Value }}`, `{{ $externalLabels.x }}`, `{{ $externalURL }}`,
/// pipelines (`{{ $value | humanize }}`), function calls (`{{ printf "%.2f" $value }}`),
/// `{{ if … }}…{{ else if … }}…{{ else }}…{{ end }}`, comments and `{{-`/`-}}` trimming.
///
/// Parsed once at load time, so an unknown function, variable or field, or a malformed
/// action, is a load error; expansion then only fails on values (a `humanize` of text
/// that is no number), which Prometheus reports inline as `<error expanding template: …>`.
public struct AlertTemplate: Sendable, Equatable {
    public let source: String
    let nodes: [TemplateNode]

    /// Parses `source`; throws `AlertTemplateError` naming what is wrong and where.
    public init(_ source: String) throws(AlertTemplateError) {
        self.source = source
        var parser = TemplateParser(source)
        nodes = try parser.parseDocument()
        var text: String? = ""
        for node in nodes {
            if case .text(let part) = node { text? += part } else { text = nil }
        }
        plainText = text
    }

    /// The expansion of a template without actions (comments aside), computed once.
    let plainText: String?

    /// The values a template sees (Prometheus's `AlertTemplateData`).
    public struct Data: Sendable {
        public var labels: Labels
        public var value: Double
        public var externalLabels: Labels
        public var externalURL: String
        /// For `query`: the evaluator and the evaluation time (ms).
        public var evaluator: (any RuleExpressionEvaluator)?
        public var time: Int64

        public init(labels: Labels, value: Double, externalLabels: Labels = Labels(), externalURL: String = "",
                    evaluator: (any RuleExpressionEvaluator)? = nil, time: Int64 = 0) {
            self.labels = labels
            self.value = value
            self.externalLabels = externalLabels
            self.externalURL = externalURL
            self.evaluator = evaluator
            self.time = time
        }
    }

    /// The expanded text, or Prometheus's `<error expanding template: …>` when a value
    /// could not be used as the template asked.
    public func expand(_ data: Data) -> String {
        if let plainText { return plainText }
        var output = ""
        do {
            var interpreter = TemplateInterpreter(data: data)
            try interpreter.run(nodes, into: &output)
            return output
        } catch {
            return "<error expanding template: \(error.message)>"
        }
    }

    public static func == (lhs: AlertTemplate, rhs: AlertTemplate) -> Bool { lhs.source == rhs.source }
}

/// Why a template does not parse: the message and the 1-based byte offset in its text.
public struct AlertTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "template: col \(offset): \(message)" }
}

/// An error while expanding (a value of the wrong kind); shown inline, as Prometheus does.
struct TemplateRuntimeError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

// MARK: - Syntax tree

indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    /// `if` / `else if` branches in order, then the `else` body.
    case conditional(branches: [(condition: TemplatePipeline, body: [TemplateNode])], otherwise: [TemplateNode])
}

/// `a | f b | g`: each command after the first gets the previous result as its last argument.
struct TemplatePipeline: Sendable {
    var commands: [TemplateCommand]
}

enum TemplateCommand: Sendable {
    case call(function: TemplateFunction, arguments: [TemplateOperand])
    case operand(TemplateOperand)
}

indirect enum TemplateOperand: Sendable {
    /// `$labels.instance`, `$value`, `.Labels.x`, `.Value`, `$` / `.` (the data itself).
    case data(field: TemplateDataField, key: String?)
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case pipeline(TemplatePipeline)
}

enum TemplateDataField: Sendable {
    case root, labels, value, externalLabels, externalURL
}

enum TemplateFunction: String, Sendable, CaseIterable {
    case humanize, humanize1024, humanizeDuration, humanizePercentage, humanizeTimestamp
    case printf, toUpper, toLower, title, stripPort, stripDomain, match, reReplaceAll
    case eq, ne, lt, le, gt, ge, and, or, not, index, len
    case query, first, value, label, strvalue, sortByLabel
    case print, urlquery

    /// The exact argument count, where there is one (checked at load time).
    var arity: Int? {
        switch self {
        case .humanize, .humanize1024, .humanizeDuration, .humanizePercentage, .humanizeTimestamp,
             .toUpper, .toLower, .title, .stripPort, .stripDomain, .not, .len, .query, .first, .value, .strvalue:
            1
        case .match, .index, .label, .sortByLabel, .eq, .ne, .lt, .le, .gt, .ge:
            2
        case .reReplaceAll:
            3
        case .printf, .and, .or, .print, .urlquery:
            nil
        }
    }
}

// MARK: - Parser

/// Splits text and `{{ … }}` actions and parses each action's pipeline.
struct TemplateParser {
    private let bytes: [UInt8]
    private var index = 0

    init(_ source: String) { bytes = Array(source.utf8) }

    private enum Block { case end, elseBranch(TemplatePipeline?), eof }

    mutating func parseDocument() throws(AlertTemplateError) -> [TemplateNode] {
        let (nodes, terminator) = try parseList()
        switch terminator {
        case .eof: return nodes
        case .end: throw AlertTemplateError("unexpected {{end}}", offset: index)
        case .elseBranch: throw AlertTemplateError("unexpected {{else}}", offset: index)
        }
    }

    /// Nodes up to `{{end}}`, `{{else…}}` or the end of the text.
    private mutating func parseList() throws(AlertTemplateError) -> ([TemplateNode], Block) {
        var nodes: [TemplateNode] = []
        var pendingText: [UInt8] = []
        func flush() {
            if !pendingText.isEmpty { nodes.append(.text(String(decoding: pendingText, as: UTF8.self))) }
            pendingText = []
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{") else {
                pendingText.append(bytes[index])
                index += 1
                continue
            }
            let actionStart = index
            index += 2
            // `{{- ` trims the whitespace before the action.
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "-"), Self.isSpace(bytes[index + 1]) {
                while let last = pendingText.last, Self.isSpace(last) { pendingText.removeLast() }
                index += 1
            }
            guard let close = findClose() else {
                throw AlertTemplateError("unclosed action", offset: actionStart + 1)
            }
            var body = Array(bytes[index..<close.bodyEnd])
            let bodyOffset = index
            index = close.after
            if close.trimAfter {
                while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
            }
            flush()
            // Comments: {{/* … */}}
            let trimmed = Self.trim(body)
            if trimmed.starts(with: Array("/*".utf8)) {
                guard trimmed.count >= 4, trimmed.suffix(2) == ArraySlice("*/".utf8) else {
                    throw AlertTemplateError("unclosed comment", offset: bodyOffset + 1)
                }
                continue
            }
            var lexer = try TemplateLexer(body: &body, offset: bodyOffset)
            guard let first = lexer.peek() else { throw AlertTemplateError("missing value for command", offset: bodyOffset + 1) }
            if case .identifier(let word) = first.kind {
                switch word {
                case "end":
                    lexer.advance()
                    try lexer.expectEnd()
                    return (nodes, .end)
                case "else":
                    lexer.advance()
                    if let next = lexer.peek(), case .identifier("if") = next.kind {
                        lexer.advance()
                        let condition = try lexer.parsePipeline()
                        try lexer.expectEnd()
                        return (nodes, .elseBranch(condition))
                    }
                    try lexer.expectEnd()
                    return (nodes, .elseBranch(nil))
                case "if":
                    lexer.advance()
                    let condition = try lexer.parsePipeline()
                    try lexer.expectEnd()
                    nodes.append(try parseConditional(first: condition, at: actionStart))
                    continue
                case "range", "with", "define", "template", "block", "break", "continue":
                    throw AlertTemplateError("{{\(word)}} is not supported in alert templates", offset: first.offset)
                default:
                    break
                }
            }
            let pipeline = try lexer.parsePipeline()
            try lexer.expectEnd()
            nodes.append(.action(pipeline))
        }
        flush()
        return (nodes, .eof)
    }

    private mutating func parseConditional(first: TemplatePipeline, at start: Int) throws(AlertTemplateError) -> TemplateNode {
        var branches: [(condition: TemplatePipeline, body: [TemplateNode])] = []
        var condition = first
        while true {
            let (body, terminator) = try parseList()
            branches.append((condition, body))
            switch terminator {
            case .eof:
                throw AlertTemplateError("unexpected EOF: {{if}} without {{end}}", offset: start + 1)
            case .end:
                return .conditional(branches: branches, otherwise: [])
            case .elseBranch(let next?):
                condition = next
            case .elseBranch(nil):
                let (otherwise, last) = try parseList()
                guard case .end = last else {
                    throw AlertTemplateError("expected {{end}} after {{else}}", offset: start + 1)
                }
                return .conditional(branches: branches, otherwise: otherwise)
            }
        }
    }

    /// The `}}` closing the action at `index`, skipping quoted strings.
    private func findClose() -> (bodyEnd: Int, after: Int, trimAfter: Bool)? {
        var position = index
        var quote: UInt8?
        while position + 1 < bytes.count || (position < bytes.count && quote != nil) {
            let byte = bytes[position]
            if let open = quote {
                if byte == UInt8(ascii: "\\"), open == UInt8(ascii: "\"") { position += 2; continue }
                if byte == open { quote = nil }
                position += 1
                continue
            }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "`") { quote = byte; position += 1; continue }
            if byte == UInt8(ascii: "}"), bytes[position + 1] == UInt8(ascii: "}") {
                // ` -}}` trims the whitespace after the action.
                if position >= index + 2, bytes[position - 1] == UInt8(ascii: "-"), Self.isSpace(bytes[position - 2]) {
                    return (position - 1, position + 2, true)
                }
                return (position, position + 2, false)
            }
            position += 1
        }
        return nil
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    static func trim(_ body: [UInt8]) -> ArraySlice<UInt8> {
        var slice = body[...]
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }
}

/// Tokens of one action and the pipeline grammar over them.
struct TemplateLexer {
    enum Kind: Equatable {
        case identifier(String)
        case variable(String, fields: [String])
        case field([String])
        case string(String)
        case number(String)
        case pipe, open, close
    }

    struct Token {
        var kind: Kind
        var offset: Int
    }

    private var tokens: [Token] = []
    private var position = 0
    private let endOffset: Int

    init(body: inout [UInt8], offset: Int) throws(AlertTemplateError) {
        endOffset = offset + body.count + 1
        var i = 0
        func column(_ at: Int) -> Int { offset + at + 1 }
        func isIdentifierByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte >= 0x80
        }
        func fields(from start: Int) -> (names: [String], end: Int) {
            var names: [String] = []
            var j = start
            while j < body.count, body[j] == UInt8(ascii: ".") {
                var k = j + 1
                while k < body.count, isIdentifierByte(body[k]) { k += 1 }
                if k == j + 1 { break }
                names.append(String(decoding: body[(j + 1)..<k], as: UTF8.self))
                j = k
            }
            return (names, j)
        }
        while i < body.count {
            let byte = body[i]
            if TemplateParser.isSpace(byte) { i += 1; continue }
            let start = i
            switch byte {
            case UInt8(ascii: "|"):
                tokens.append(Token(kind: .pipe, offset: column(i))); i += 1
            case UInt8(ascii: "("):
                tokens.append(Token(kind: .open, offset: column(i))); i += 1
            case UInt8(ascii: ")"):
                tokens.append(Token(kind: .close, offset: column(i)))
                i += 1
                // `(…).Field` is not supported: nothing here yields a field-bearing value.
            case UInt8(ascii: "$"):
                var k = i + 1
                while k < body.count, isIdentifierByte(body[k]) { k += 1 }
                let name = String(decoding: body[(i + 1)..<k], as: UTF8.self)
                let (names, end) = fields(from: k)
                tokens.append(Token(kind: .variable(name, fields: names), offset: column(start)))
                i = end
            case UInt8(ascii: "."):
                if i + 1 < body.count, body[i + 1] >= 0x30, body[i + 1] <= 0x39 {
                    fallthrough
                }
                let (names, end) = fields(from: i)
                tokens.append(Token(kind: .field(names), offset: column(start)))
                i = max(end, i + 1)
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"):
                var k = i + 1
                while k < body.count, isIdentifierByte(body[k]) || body[k] == UInt8(ascii: ".")
                    || ((body[k] == UInt8(ascii: "-") || body[k] == UInt8(ascii: "+"))
                        && (body[k - 1] == UInt8(ascii: "e") || body[k - 1] == UInt8(ascii: "E"))) { k += 1 }
                tokens.append(Token(kind: .number(String(decoding: body[i..<k], as: UTF8.self)), offset: column(start)))
                i = k
            case UInt8(ascii: "\""):
                var text: [UInt8] = []
                var k = i + 1
                var closed = false
                while k < body.count {
                    let c = body[k]
                    if c == UInt8(ascii: "\"") { closed = true; k += 1; break }
                    if c == UInt8(ascii: "\\"), k + 1 < body.count {
                        switch body[k + 1] {
                        case UInt8(ascii: "n"): text.append(0x0A)
                        case UInt8(ascii: "t"): text.append(0x09)
                        case UInt8(ascii: "r"): text.append(0x0D)
                        case UInt8(ascii: "\\"): text.append(UInt8(ascii: "\\"))
                        case UInt8(ascii: "\""): text.append(UInt8(ascii: "\""))
                        default:
                            throw AlertTemplateError("unsupported escape sequence in string", offset: column(k))
                        }
                        k += 2
                        continue
                    }
                    text.append(c)
                    k += 1
                }
                guard closed else { throw AlertTemplateError("unterminated quoted string", offset: column(start)) }
                tokens.append(Token(kind: .string(String(decoding: text, as: UTF8.self)), offset: column(start)))
                i = k
            case UInt8(ascii: "`"):
                guard let close = body[(i + 1)...].firstIndex(of: UInt8(ascii: "`")) else {
                    throw AlertTemplateError("unterminated raw quoted string", offset: column(start))
                }
                tokens.append(Token(kind: .string(String(decoding: body[(i + 1)..<close], as: UTF8.self)), offset: column(start)))
                i = close + 1
            default:
                guard isIdentifierByte(byte) else {
                    throw AlertTemplateError("unexpected \"\(String(decoding: [byte], as: UTF8.self))\" in command", offset: column(i))
                }
                var k = i
                while k < body.count, isIdentifierByte(body[k]) { k += 1 }
                tokens.append(Token(kind: .identifier(String(decoding: body[i..<k], as: UTF8.self)), offset: column(start)))
                i = k
            }
        }
    }

    func peek() -> Token? { position < tokens.count ? tokens[position] : nil }

    mutating func advance() { position += 1 }

    func expectEnd() throws(AlertTemplateError) {
        if let token = peek() { throw AlertTemplateError("unexpected \(Self.describe(token.kind)) in action", offset: token.offset) }
    }

    static func describe(_ kind: Kind) -> String {
        switch kind {
        case .identifier(let name): "\"\(name)\""
        case .variable(let name, _): "$\(name)"
        case .field(let names): "." + names.joined(separator: ".")
        case .string(let text): "quoted string \"\(text)\""
        case .number(let text): "number \(text)"
        case .pipe: "\"|\""
        case .open: "\"(\""
        case .close: "\")\""
        }
    }

    /// pipeline := command ('|' command)*
    mutating func parsePipeline() throws(AlertTemplateError) -> TemplatePipeline {
        var commands: [TemplateCommand] = [try parseCommand(piped: false)]
        while let token = peek(), token.kind == .pipe {
            advance()
            commands.append(try parseCommand(piped: true))
        }
        return TemplatePipeline(commands: commands)
    }

    /// command := function operand* | operand
    private mutating func parseCommand(piped: Bool) throws(AlertTemplateError) -> TemplateCommand {
        guard let token = peek(), token.kind != .pipe, token.kind != .close else {
            throw AlertTemplateError("missing value for command", offset: peek()?.offset ?? endOffset)
        }
        if case .identifier(let name) = token.kind, name != "true", name != "false", name != "nil" {
            guard let function = TemplateFunction(rawValue: name) else {
                throw AlertTemplateError("function \"\(name)\" not defined", offset: token.offset)
            }
            advance()
            var arguments: [TemplateOperand] = []
            while let next = peek(), next.kind != .pipe, next.kind != .close {
                arguments.append(try parseOperand())
            }
            let count = arguments.count + (piped ? 1 : 0)
            if let arity = function.arity, count != arity {
                throw AlertTemplateError("wrong number of args for \(name): want \(arity) got \(count)", offset: token.offset)
            }
            if function.arity == nil, count == 0 {
                throw AlertTemplateError("wrong number of args for \(name): want at least 1 got 0", offset: token.offset)
            }
            return .call(function: function, arguments: arguments)
        }
        let operand = try parseOperand()
        if piped {
            throw AlertTemplateError("non executable command in pipeline stage 2", offset: token.offset)
        }
        if let next = peek(), next.kind != .pipe, next.kind != .close {
            throw AlertTemplateError("can't give argument to non-function \(Self.describe(token.kind))", offset: next.offset)
        }
        return .operand(operand)
    }

    private mutating func parseOperand() throws(AlertTemplateError) -> TemplateOperand {
        guard let token = peek() else { throw AlertTemplateError("missing value for command", offset: endOffset) }
        advance()
        switch token.kind {
        case .string(let text):
            return .string(text)
        case .number(let text):
            if let integer = Int64(text) { return .integer(integer) }
            if let float = Double(text), float.isFinite { return .float(float) }
            throw AlertTemplateError("bad number syntax: \"\(text)\"", offset: token.offset)
        case .identifier("true"): return .bool(true)
        case .identifier("false"): return .bool(false)
        case .identifier(let name):
            throw AlertTemplateError("function \"\(name)\" used as an argument needs parentheses", offset: token.offset)
        case .variable(let name, let fields):
            return try dataOperand(variable: name, fields: fields, offset: token.offset)
        case .field(let fields):
            return try dataOperand(variable: nil, fields: fields, offset: token.offset)
        case .open:
            let inner = try parsePipeline()
            guard let close = peek(), close.kind == .close else {
                throw AlertTemplateError("unclosed left paren", offset: token.offset)
            }
            advance()
            return .pipeline(inner)
        case .pipe, .close:
            throw AlertTemplateError("unexpected \(Self.describe(token.kind))", offset: token.offset)
        }
    }

    /// `$labels.x` ≡ `.Labels.x`, `$value` ≡ `.Value`, and so on (Prometheus defines the
    /// variables as the data's fields).
    private func dataOperand(variable: String?, fields: [String], offset: Int) throws(AlertTemplateError) -> TemplateOperand {
        var path = fields[...]
        let field: TemplateDataField
        if let variable {
            switch variable {
            case "": field = .root
            case "labels": field = .labels
            case "value": field = .value
            case "externalLabels": field = .externalLabels
            case "externalURL": field = .externalURL
            default: throw AlertTemplateError("undefined variable \"$\(variable)\"", offset: offset)
            }
        } else {
            field = .root
        }
        var resolved = field
        if resolved == .root, let first = path.first {
            switch first {
            case "Labels": resolved = .labels
            case "Value": resolved = .value
            case "ExternalLabels": resolved = .externalLabels
            case "ExternalURL": resolved = .externalURL
            default: throw AlertTemplateError("can't evaluate field \(first) in alert template data", offset: offset)
            }
            path = path.dropFirst()
        }
        switch resolved {
        case .labels, .externalLabels:
            guard path.count <= 1 else { throw AlertTemplateError("can't evaluate field \(path.last ?? "") of a label value", offset: offset) }
            return .data(field: resolved, key: path.first)
        default:
            guard path.isEmpty else {
                throw AlertTemplateError("can't evaluate field \(path.first ?? "") of \(resolved)", offset: offset)
            }
            return .data(field: resolved, key: nil)
        }
    }
}
