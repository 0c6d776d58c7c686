/// Splits PromQL text into items, as Prometheus's lexer does: a state machine over the
/// UTF-8 bytes that knows whether it is inside braces (label matchers) or brackets
/// (durations), so `offset` or `by` can be label names there. Positions are byte offsets.
/// Items are pulled one at a time, so a lexical error is only reported when the parser
/// reaches it (Prometheus reports the first error in text order).
struct PromQLLexer {
    enum Kind: Equatable {
        case identifier, metricIdentifier, number, string, duration
        case keyword(Keyword)
        case aggregator(PromQLAggregateOperator)
        case binaryOperator(PromQLBinaryOperator)
        case equal, equalRegex, notEqualRegex  // matchers; `!=` is .binaryOperator(.notEqual)
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket, comma, colon, at
        case comment, error, eof
    }

    enum Keyword: String {
        case bool, by, groupLeft = "group_left", groupRight = "group_right", ignoring, offset, on, without
        case start, end
    }

    struct Item {
        var kind: Kind
        /// Byte offset where the item starts.
        var position: Int
        /// The item's text (for errors: the message).
        var text: String

        /// How Prometheus names the item in "unexpected …" messages.
        var description: String {
            switch kind {
            case .eof: return "end of input"
            case .error: return text
            case .identifier: return "identifier \(GoQuote.string(text))"
            case .metricIdentifier: return "metric identifier \(GoQuote.string(text))"
            case .number: return "number \(GoQuote.truncated(text))"
            case .string: return "string \(GoQuote.truncated(text))"
            case .duration: return "duration \(GoQuote.truncated(text))"
            case .comment: return "comment \(GoQuote.truncated(text))"
            case .keyword(let keyword) where keyword == .start || keyword == .end: return GoQuote.truncated(text)
            case .keyword: return "<\(text)>"
            case .aggregator: return "<aggr:\(text)>"
            case .binaryOperator, .equalRegex, .notEqualRegex, .at: return "<op:\(text)>"
            case .equal, .leftParen, .rightParen, .leftBrace, .rightBrace, .leftBracket, .rightBracket, .comma, .colon:
                return GoQuote.truncated(text)
            }
        }
    }

    private let bytes: [UInt8]
    private var position = 0
    private var start = 0
    private var parenDepth = 0
    private var braceOpen = false
    private var bracketOpen = false
    private var gotColon = false
    private var finished = false

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// The next item that is not a comment; after an error or the end, `.eof` forever.
    mutating func nextSignificant() -> Item {
        while true {
            let item = next()
            if item.kind != .comment { return item }
        }
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private var currentText: String { String(decoding: bytes[start..<position], as: UTF8.self) }

    private mutating func emit(_ kind: Kind) -> Item {
        let item = Item(kind: kind, position: start, text: currentText)
        start = position
        return item
    }

    private mutating func fail(_ message: String) -> Item {
        finished = true
        return Item(kind: .error, position: start, text: message)
    }

    private mutating func accept(_ valid: (UInt8) -> Bool) -> Bool {
        if let byte = peek(), valid(byte) {
            position += 1
            return true
        }
        return false
    }

    /// The rune at the current position, consumed (for error messages).
    private mutating func nextRune() -> Unicode.Scalar? {
        guard position < bytes.count else { return nil }
        let (scalar, width) = Self.decodeRune(bytes, at: position)
        position += width
        return scalar
    }

    static func decodeRune(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int) {
        var iterator = bytes[index...].makeIterator()
        var decoder = UTF8()
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar):
            return (scalar, UTF8.width(scalar))
        case .emptyInput, .error:
            return ("\u{FFFD}", 1)
        }
    }

    mutating func next() -> Item {
        if finished { return Item(kind: .eof, position: bytes.count, text: "") }
        if pendingDuration {
            pendingDuration = false
            return duration()
        }
        while true {
            if braceOpen { return insideBraces() }
            guard let byte = peek() else {
                if parenDepth != 0 { return fail("unclosed left parenthesis") }
                if bracketOpen { return fail("unclosed left bracket") }
                finished = true
                return emit(.eof)
            }
            if byte == UInt8(ascii: "#") { return lineComment() }
            if Self.isSpace(byte) {
                skipSpaces()
                continue
            }
            position += 1
            switch byte {
            case UInt8(ascii: ","): return emit(.comma)
            case UInt8(ascii: "*"): return emit(.binaryOperator(.multiply))
            case UInt8(ascii: "/"): return emit(.binaryOperator(.divide))
            case UInt8(ascii: "%"): return emit(.binaryOperator(.modulo))
            case UInt8(ascii: "+"): return emit(.binaryOperator(.add))
            case UInt8(ascii: "-"): return emit(.binaryOperator(.subtract))
            case UInt8(ascii: "^"): return emit(.binaryOperator(.power))
            case UInt8(ascii: "="):
                if peek() == UInt8(ascii: "=") {
                    position += 1
                    return emit(.binaryOperator(.equal))
                }
                if peek() == UInt8(ascii: "~") { return fail("unexpected character after '=': '~'") }
                return emit(.equal)
            case UInt8(ascii: "!"):
                guard let rune = nextRune() else { return fail("unexpected character after '!': \(GoQuote.eofRune)") }
                if rune == "=" { return emit(.binaryOperator(.notEqual)) }
                return fail("unexpected character after '!': \(GoQuote.rune(rune))")
            case UInt8(ascii: "<"), UInt8(ascii: ">"):
                let orEqual = peek() == UInt8(ascii: "=")
                if orEqual { position += 1 }
                if byte == UInt8(ascii: "<") { return emit(.binaryOperator(orEqual ? .lessOrEqual : .less)) }
                return emit(.binaryOperator(orEqual ? .greaterOrEqual : .greater))
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                position -= 1
                return numberOrDuration()
            case UInt8(ascii: "."):
                if let next = peek(), Self.isDigit(next) {
                    position -= 1
                    return numberOrDuration()
                }
                return fail("unexpected character: '.'")
            case UInt8(ascii: "\""), UInt8(ascii: "'"): return quotedString(quote: byte)
            case UInt8(ascii: "`"): return rawString()
            case UInt8(ascii: "("):
                parenDepth += 1
                return emit(.leftParen)
            case UInt8(ascii: ")"):
                let item = emit(.rightParen)
                parenDepth -= 1
                if parenDepth < 0 { return fail("unexpected right parenthesis ')'") }
                return item
            case UInt8(ascii: "{"):
                braceOpen = true
                return emit(.leftBrace)
            case UInt8(ascii: "["):
                if bracketOpen { return fail("unexpected left bracket '['") }
                gotColon = false
                let item = emit(.leftBracket)
                bracketOpen = true
                skipSpaces()
                pendingDuration = true
                return item
            case UInt8(ascii: "]"):
                if !bracketOpen { return fail("unexpected right bracket ']'") }
                bracketOpen = false
                return emit(.rightBracket)
            case UInt8(ascii: "@"): return emit(.at)
            default:
                if Self.isAlpha(byte) || byte == UInt8(ascii: ":") {
                    if !bracketOpen {
                        position -= 1
                        return keywordOrIdentifier()
                    }
                    if gotColon { return fail("unexpected colon ':'") }
                    gotColon = true
                    if byte == UInt8(ascii: ":") { return emit(.colon) }
                    // Prometheus emits a colon for any letter here, a quirk that only
                    // matters for malformed input; it is an error either way.
                    return emit(.colon)
                }
                position -= 1
                guard let rune = nextRune() else { return fail("unexpected character") }
                return fail("unexpected character: \(GoQuote.rune(rune))")
            }
        }
    }

    /// Set after `[`: the next item is lexed as a duration (`[5m]`; `[5]` fails).
    private var pendingDuration = false

    private mutating func skipSpaces() {
        while let byte = peek(), Self.isSpace(byte) { position += 1 }
        start = position
    }

    private mutating func lineComment() -> Item {
        position += 1
        while let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") { position += 1 }
        return emit(.comment)
    }

    private mutating func insideBraces() -> Item {
        while true {
            guard let byte = peek() else { return fail("unexpected end of input inside braces") }
            if byte == UInt8(ascii: "#") { return lineComment() }
            if Self.isSpace(byte) {
                skipSpaces()
                continue
            }
            position += 1
            switch byte {
            case UInt8(ascii: ","): return emit(.comma)
            case UInt8(ascii: "\""), UInt8(ascii: "'"): return quotedString(quote: byte)
            case UInt8(ascii: "`"): return rawString()
            case UInt8(ascii: "="):
                if peek() == UInt8(ascii: "~") {
                    position += 1
                    return emit(.equalRegex)
                }
                return emit(.equal)
            case UInt8(ascii: "!"):
                guard let rune = nextRune() else { return fail("unexpected character after '!' inside braces: \(GoQuote.eofRune)") }
                if rune == "~" { return emit(.notEqualRegex) }
                if rune == "=" { return emit(.binaryOperator(.notEqual)) }
                return fail("unexpected character after '!' inside braces: \(GoQuote.rune(rune))")
            case UInt8(ascii: "{"): return fail("unexpected left brace '{'")
            case UInt8(ascii: "}"):
                braceOpen = false
                return emit(.rightBrace)
            default:
                if Self.isAlpha(byte) {
                    while let next = peek(), Self.isAlphaNumeric(next) { position += 1 }
                    return emit(.identifier)
                }
                position -= 1
                guard let rune = nextRune() else { return fail("unexpected character inside braces") }
                return fail("unexpected character inside braces: \(GoQuote.rune(rune))")
            }
        }
    }

    private mutating func keywordOrIdentifier() -> Item {
        while let byte = peek(), Self.isAlphaNumeric(byte) || byte == UInt8(ascii: ":") { position += 1 }
        let word = currentText
        let lowered = word.lowercased()
        if let keyword = Keyword(rawValue: lowered) { return emit(.keyword(keyword)) }
        if let aggregator = PromQLAggregateOperator(rawValue: lowered) { return emit(.aggregator(aggregator)) }
        switch lowered {
        case "and": return emit(.binaryOperator(.and))
        case "or": return emit(.binaryOperator(.or))
        case "unless": return emit(.binaryOperator(.unless))
        case "atan2": return emit(.binaryOperator(.atan2))
        case "inf", "nan": return emit(.number)
        default: return emit(word.contains(":") ? .metricIdentifier : .identifier)
        }
    }

    /// Go's `scanNumber`: digits (hex after 0x), a fraction, an exponent; true when no
    /// letter or digit follows.
    private mutating func scanNumber() -> Bool {
        var isDigitOfBase: (UInt8) -> Bool = Self.isDigit
        if peek() == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            position += 2
            isDigitOfBase = Self.isHexDigit
        }
        while accept(isDigitOfBase) {}
        if accept({ $0 == UInt8(ascii: ".") }) {
            while accept(isDigitOfBase) {}
        }
        if accept({ $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            _ = accept { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
            while accept(Self.isDigit) {}
        }
        if let byte = peek(), Self.isAlphaNumeric(byte) { return false }
        return true
    }

    /// The rest of a duration after its first number: units (`ms` as m then s), more
    /// number-unit pairs; true when no letter or digit follows.
    private mutating func acceptRemainingDuration() -> Bool {
        guard accept({ "smhdwy".utf8.contains($0) }) else { return false }
        _ = accept { $0 == UInt8(ascii: "s") }
        while accept(Self.isDigit) {
            while accept(Self.isDigit) {}
            guard accept({ "smhdw".utf8.contains($0) }) else { return false }
            _ = accept { $0 == UInt8(ascii: "s") }
        }
        if let byte = peek(), Self.isAlphaNumeric(byte) {
            position += 1
            return false
        }
        return true
    }

    /// The item right after `[`: must be a duration.
    private mutating func duration() -> Item {
        if scanNumber() { return fail("missing unit character in duration") }
        if !acceptRemainingDuration() { return fail("bad duration syntax: \(GoQuote.string(currentText))") }
        return emit(.duration)
    }

    private mutating func numberOrDuration() -> Item {
        if scanNumber() { return emit(.number) }
        if acceptRemainingDuration() { return emit(.duration) }
        return fail("bad number or duration syntax: \(GoQuote.string(currentText))")
    }

    private mutating func quotedString(quote: UInt8) -> Item {
        while true {
            guard let byte = peek() else { return fail("unterminated quoted string") }
            position += 1
            if byte == UInt8(ascii: "\n") { return fail("unterminated quoted string") }
            if byte == UInt8(ascii: "\\") {
                // Escapes are validated when unquoting; only skip the escaped byte here.
                if let next = peek(), next != UInt8(ascii: "\n") { position += 1 }
                continue
            }
            if byte == quote { return emit(.string) }
        }
    }

    private mutating func rawString() -> Item {
        while true {
            guard let byte = peek() else { return fail("unterminated raw string") }
            position += 1
            if byte == UInt8(ascii: "`") { return emit(.string) }
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    static func isAlpha(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    static func isAlphaNumeric(_ byte: UInt8) -> Bool { isAlpha(byte) || isDigit(byte) }

    /// A valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    static func isLabelName(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard let first = utf8.first, isAlpha(first) else { return false }
        return utf8.dropFirst().allSatisfy(isAlphaNumeric)
    }
}
