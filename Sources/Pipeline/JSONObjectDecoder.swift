/// A strict JSON reader (RFC 8259) that flattens one top-level object into fields:
/// nested objects become dotted names (`{"http":{"status":200}}` → `http.status`),
/// arrays stay as their JSON text. It reads the bytes in one pass, builds no tree, and
/// allocates only the names and values it returns. Any syntax error gives nil.
struct JSONObjectDecoder {
    /// Deeper nesting is rejected, so hostile input cannot exhaust the stack.
    static let maxDepth = 64

    private let b: Bytes
    private var i = 0
    private var fields = ParsedFields()

    private init(_ bytes: Bytes) { b = bytes }

    /// The flattened fields of the object `bytes` holds, or nil if they are not exactly
    /// one JSON object (surrounding whitespace allowed).
    static func decode(_ bytes: Bytes) -> ParsedFields? {
        var decoder = JSONObjectDecoder(bytes)
        decoder.skipWhitespace()
        guard decoder.i < bytes.count, bytes[decoder.i] == ASCII.openBrace,
              decoder.object(prefix: nil, depth: 1) else { return nil }
        decoder.skipWhitespace()
        return decoder.i == bytes.count ? decoder.fields : nil
    }

    private mutating func skipWhitespace() {
        while i < b.count, b[i] == ASCII.space || b[i] == ASCII.newline || b[i] == ASCII.tab
            || b[i] == ASCII.carriageReturn { i += 1 }
    }

    /// Reads the object at `i` (on its `{`), appending its leaves under `prefix`.
    private mutating func object(prefix: String?, depth: Int) -> Bool {
        guard depth <= Self.maxDepth else { return false }
        i += 1
        skipWhitespace()
        if i < b.count, b[i] == ASCII.closeBrace { i += 1; return true }
        while true {
            skipWhitespace()
            guard i < b.count, b[i] == ASCII.quote, let key = string() else { return false }
            skipWhitespace()
            guard i < b.count, b[i] == ASCII.colon else { return false }
            i += 1
            skipWhitespace()
            guard member(name: prefix.map { $0 + "." + key } ?? key, depth: depth) else { return false }
            skipWhitespace()
            guard i < b.count else { return false }
            if b[i] == ASCII.comma { i += 1; continue }
            if b[i] == ASCII.closeBrace { i += 1; return true }
            return false
        }
    }

    /// Reads one member's value and appends it (objects recursively).
    private mutating func member(name: String, depth: Int) -> Bool {
        guard i < b.count else { return false }
        switch b[i] {
        case ASCII.openBrace:
            return object(prefix: name, depth: depth + 1)
        case ASCII.openBracket:
            let start = i
            guard skipValue(depth: depth + 1) else { return false }
            fields.append(name, .string(b.text(start..<i)))
        case ASCII.quote:
            guard let text = string() else { return false }
            fields.append(name, .string(text))
        default:
            guard let value = scalar() else { return false }
            fields.append(name, value)
        }
        return true
    }

    /// Validates and skips any value (inside arrays, which are kept as text).
    private mutating func skipValue(depth: Int) -> Bool {
        guard depth <= Self.maxDepth, i < b.count else { return false }
        switch b[i] {
        case ASCII.openBrace, ASCII.openBracket:
            let close = b[i] == ASCII.openBrace ? ASCII.closeBrace : ASCII.closeBracket
            let isObject = close == ASCII.closeBrace
            i += 1
            skipWhitespace()
            if i < b.count, b[i] == close { i += 1; return true }
            while true {
                skipWhitespace()
                if isObject {
                    guard i < b.count, b[i] == ASCII.quote, string() != nil else { return false }
                    skipWhitespace()
                    guard i < b.count, b[i] == ASCII.colon else { return false }
                    i += 1
                    skipWhitespace()
                }
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                guard i < b.count else { return false }
                if b[i] == ASCII.comma { i += 1; continue }
                if b[i] == close { i += 1; return true }
                return false
            }
        case ASCII.quote:
            return string() != nil
        default:
            return scalar() != nil
        }
    }

    /// `true`, `false`, `null` or a number.
    private mutating func scalar() -> FieldValue? {
        if b.matches("true", at: i) { i += 4; return .bool(true) }
        if b.matches("false", at: i) { i += 5; return .bool(false) }
        if b.matches("null", at: i) { i += 4; return .null }
        return number()
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer that fits Int64 stays
    /// exact, anything else is a Double.
    private mutating func number() -> FieldValue? {
        let start = i
        if i < b.count, b[i] == ASCII.minus { i += 1 }
        guard i < b.count, ASCII.isDigit(b[i]) else { return nil }
        if b[i] == ASCII.zero {
            i += 1
        } else {
            while i < b.count, ASCII.isDigit(b[i]) { i += 1 }
        }
        var isInteger = true
        if i < b.count, b[i] == ASCII.dot {
            isInteger = false
            i += 1
            guard i < b.count, ASCII.isDigit(b[i]) else { return nil }
            while i < b.count, ASCII.isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < b.count, b[i] == ASCII.plus || b[i] == ASCII.minus { i += 1 }
            guard i < b.count, ASCII.isDigit(b[i]) else { return nil }
            while i < b.count, ASCII.isDigit(b[i]) { i += 1 }
        }
        if isInteger {
            var value: Int64 = 0
            var overflow = false
            let negative = b[start] == ASCII.minus
            for index in (negative ? start + 1 : start)..<i {
                let digit = Int64(b[index] - ASCII.zero)
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
                if o1 || o2 { overflow = true; break }
                value = next
            }
            if !overflow { return .int(value) }
        }
        guard let value = Double(b.text(start..<i)) else { return nil }
        return .double(value)
    }

    /// The string at `i` (on its opening quote), unescaped; `i` ends after the closing quote.
    private mutating func string() -> String? {
        i += 1
        let start = i
        while i < b.count, b[i] != ASCII.quote, b[i] != ASCII.backslash {
            guard b[i] >= 0x20 else { return nil }
            i += 1
        }
        guard i < b.count else { return nil }
        if b[i] == ASCII.quote {
            i += 1
            return b.text(start..<(i - 1))
        }
        // Slow path: escapes.
        var out = Array(b[start..<i])
        while i < b.count {
            let byte = b[i]
            if byte == ASCII.quote {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard byte >= 0x20 else { return nil }
            if byte != ASCII.backslash {
                out.append(byte)
                i += 1
                continue
            }
            i += 1
            guard i < b.count else { return nil }
            let escaped = b[i]
            i += 1
            switch escaped {
            case ASCII.quote, ASCII.backslash, ASCII.slash: out.append(escaped)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(ASCII.newline)
            case UInt8(ascii: "r"): out.append(ASCII.carriageReturn)
            case UInt8(ascii: "t"): out.append(ASCII.tab)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate pairs with a following \uDC00–\uDFFF.
                    if b.matches("\\u", at: i) {
                        let save = i
                        i += 2
                        if let low = hex4(), (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD  // a lone low surrogate, as Go and Swift's decoders do
                }
                appendUTF8(scalar, to: &out)
            default:
                return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = b[i]
            let digit: UInt8
            switch byte {
            case ASCII.zero...ASCII.nine: digit = byte - ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
