/// Splits LogQL text into tokens with positions. Words are all identifiers here; the
/// parser decides from context which are keywords, as Loki's lexer does for function
/// names, so labels may be called `rate` or `json`.
struct LogQLLexer {
    enum Kind: Equatable {
        case identifier(String)
        case string(String)
        case number(Double)
        case duration(Int64)
        case bytes(UInt64)
        case openBrace, closeBrace, openParen, closeParen, openBracket, closeBracket, comma
        case eq, cmpEq, neq, re, nre, pipeExact, pipeMatch, pipe, pipePattern
        case gt, gte, lt, lte, add, sub
        case end

        /// The name errors use, after Loki's token names.
        var display: String {
            switch self {
            case .identifier: return "IDENTIFIER"
            case .string: return "STRING"
            case .number: return "NUMBER"
            case .duration: return "DURATION"
            case .bytes: return "BYTES"
            case .openBrace: return "{"
            case .closeBrace: return "}"
            case .openParen: return "("
            case .closeParen: return ")"
            case .openBracket: return "["
            case .closeBracket: return "]"
            case .comma: return ","
            case .eq: return "="
            case .cmpEq: return "=="
            case .neq: return "!="
            case .re: return "=~"
            case .nre: return "!~"
            case .pipeExact: return "|="
            case .pipeMatch: return "|~"
            case .pipe: return "|"
            case .pipePattern: return "|>"
            case .gt: return ">"
            case .gte: return ">="
            case .lt: return "<"
            case .lte: return "<="
            case .add: return "+"
            case .sub: return "-"
            case .end: return "$end"
            }
        }
    }

    struct Token {
        var kind: Kind
        var position: LogQLPosition
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// Every token up to and including `.end`.
    static func tokenize(_ text: String) throws(LogQLError) -> [Token] {
        var lexer = LogQLLexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var position: LogQLPosition { LogQLPosition(line: line, column: column) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private func error(_ message: String, at position: LogQLPosition) -> LogQLError {
        LogQLError(.syntax, message, at: position)
    }

    mutating func next() throws(LogQLError) -> Token {
        // Whitespace and `#` comments.
        while let scalar = peek() {
            if scalar.properties.isWhitespace {
                advance()
            } else if scalar == "#" {
                while let inComment = peek(), inComment != "\n" { advance() }
            } else {
                break
            }
        }
        let start = position
        guard let scalar = peek() else { return Token(kind: .end, position: start) }
        func single(_ kind: Kind) -> Token {
            advance()
            return Token(kind: kind, position: start)
        }
        switch scalar {
        case "{": return single(.openBrace)
        case "}": return single(.closeBrace)
        case "(": return single(.openParen)
        case ")": return single(.closeParen)
        case "[": return single(.openBracket)
        case "]": return single(.closeBracket)
        case ",": return single(.comma)
        case "+": return single(.add)
        case "-": return single(.sub)
        case "=":
            advance()
            if peek() == "=" { advance(); return Token(kind: .cmpEq, position: start) }
            if peek() == "~" { advance(); return Token(kind: .re, position: start) }
            return Token(kind: .eq, position: start)
        case "!":
            advance()
            if peek() == "=" { advance(); return Token(kind: .neq, position: start) }
            if peek() == "~" { advance(); return Token(kind: .nre, position: start) }
            throw error("syntax error: unexpected character \"!\"", at: start)
        case "|":
            advance()
            if peek() == "=" { advance(); return Token(kind: .pipeExact, position: start) }
            if peek() == "~" { advance(); return Token(kind: .pipeMatch, position: start) }
            if peek() == ">" { advance(); return Token(kind: .pipePattern, position: start) }
            return Token(kind: .pipe, position: start)
        case ">", "<":
            advance()
            let equals = peek() == "="
            if equals { advance() }
            let kind: Kind = scalar == ">" ? (equals ? .gte : .gt) : (equals ? .lte : .lt)
            return Token(kind: kind, position: start)
        case "\"": return Token(kind: .string(try quotedString()), position: start)
        case "`": return Token(kind: .string(try rawString()), position: start)
        default:
            if Self.isDigit(scalar) || (scalar == "." && peek(1).map(Self.isDigit) == true) {
                return Token(kind: try numeric(start), position: start)
            }
            if Self.isIdentifierStart(scalar) {
                var name = ""
                while let next = peek(), Self.isIdentifierStart(next) || Self.isDigit(next) {
                    name.unicodeScalars.append(next)
                    advance()
                }
                return Token(kind: .identifier(name), position: start)
            }
            throw error("syntax error: unexpected character \"\(scalar.escaped(asASCII: true))\"", at: start)
        }
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }

    static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
    }

    /// A number, or a number with a unit tail: a duration (`5m`, `1h30m`, `1.5h`, `250µs`,
    /// `7d`) when it reads as one, else a byte size (`10MiB`, `1.5KB`).
    private mutating func numeric(_ start: LogQLPosition) throws(LogQLError) -> Kind {
        var text = ""
        func take(_ lexer: inout LogQLLexer) {
            text.unicodeScalars.append(lexer.scalars[lexer.index])
            lexer.advance()
        }
        while let scalar = peek(), Self.isDigit(scalar) { take(&self) }
        if peek() == ".", peek(1).map(Self.isDigit) == true {
            take(&self)
            while let scalar = peek(), Self.isDigit(scalar) { take(&self) }
        }
        if let e = peek(), e == "e" || e == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if let digit = peek(signed ? 2 : 1), Self.isDigit(digit) {
                take(&self)
                if signed { take(&self) }
                while let scalar = peek(), Self.isDigit(scalar) { take(&self) }
            }
        }
        let isUnit: (Unicode.Scalar) -> Bool = { Self.isIdentifierStart($0) || $0 == "µ" || $0 == "μ" }
        guard let next = peek(), isUnit(next) else {
            guard let value = Double(text), value.isFinite else {
                throw error("syntax error: invalid number \(text)", at: start)
            }
            return .number(value)
        }
        while let scalar = peek(), isUnit(scalar) || Self.isDigit(scalar) || scalar == "." { take(&self) }
        let bytes = Array(text.utf8)
        if let nanoseconds = GoDuration.parse(bytes) ?? GoDuration.parsePrometheus(bytes) {
            return .duration(nanoseconds)
        }
        if let size = ByteSize.parse(bytes) { return .bytes(size) }
        throw error("syntax error: invalid duration or byte size \(text)", at: start)
    }

    /// A Go interpreted string literal; the opening quote is current.
    private mutating func quotedString() throws(LogQLError) -> String {
        let start = position
        advance()
        var bytes: [UInt8] = []
        while true {
            guard let scalar = peek(), scalar != "\n" else {
                throw error("syntax error: unterminated string", at: start)
            }
            advance()
            if scalar == "\"" { break }
            if scalar != "\\" {
                bytes.append(contentsOf: Array(String(scalar).utf8))
                continue
            }
            let escapePosition = LogQLPosition(line: line, column: column - 1)
            guard let escape = peek() else { throw error("syntax error: unterminated string", at: start) }
            advance()
            switch escape {
            case "a": bytes.append(0x07)
            case "b": bytes.append(0x08)
            case "f": bytes.append(0x0C)
            case "n": bytes.append(0x0A)
            case "r": bytes.append(0x0D)
            case "t": bytes.append(0x09)
            case "v": bytes.append(0x0B)
            case "\\": bytes.append(0x5C)
            case "\"": bytes.append(0x22)
            case "'": bytes.append(0x27)
            case "x", "u", "U":
                let count = escape == "x" ? 2 : escape == "u" ? 4 : 8
                var value: UInt32 = 0
                for _ in 0..<count {
                    guard let digit = peek(), let hex = Self.hexValue(digit) else {
                        throw error("syntax error: invalid escape \\\(escape) in string", at: escapePosition)
                    }
                    value = value * 16 + hex
                    advance()
                }
                if escape == "x" {
                    bytes.append(UInt8(value))
                } else {
                    guard let decoded = Unicode.Scalar(value) else {
                        throw error("syntax error: invalid Unicode escape in string", at: escapePosition)
                    }
                    bytes.append(contentsOf: Array(String(decoded).utf8))
                }
            case "0"..."7":
                var value = UInt32(escape.value - 0x30)
                for _ in 0..<2 {
                    guard let digit = peek(), digit >= "0", digit <= "7" else {
                        throw error("syntax error: invalid octal escape in string", at: escapePosition)
                    }
                    value = value * 8 + (digit.value - 0x30)
                    advance()
                }
                guard value <= 255 else { throw error("syntax error: invalid octal escape in string", at: escapePosition) }
                bytes.append(UInt8(value))
            default:
                throw error("syntax error: unknown escape sequence \\\(escape.escaped(asASCII: true)) in string", at: escapePosition)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": return scalar.value - 0x30
        case "a"..."f": return scalar.value - 0x61 + 10
        case "A"..."F": return scalar.value - 0x41 + 10
        default: return nil
        }
    }

    /// A back-quoted raw string: no escapes, may span lines.
    private mutating func rawString() throws(LogQLError) -> String {
        let start = position
        advance()
        var text = ""
        while let scalar = peek() {
            advance()
            if scalar == "`" { return text }
            text.unicodeScalars.append(scalar)
        }
        throw error("syntax error: unterminated raw string", at: start)
    }
}
