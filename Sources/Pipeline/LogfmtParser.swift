import SluiceModel

/// logfmt as Go's `github.com/go-logfmt/logfmt` reads it: `key=value`,
/// `key="quoted \"value\""`, `key=` (empty), and a bare `key` (true). Values stay
/// strings: logfmt has no types, and guessing would turn ids like `007` into numbers.
///
/// A line counts as logfmt only with at least two `key=value` pairs, so prose with one
/// `=` in it is not taken for logfmt. A multi-line event is parsed by its first line.
public struct LogfmtParser: LogParser {
    public init() {}

    public func parse(_ line: String, now: Timestamp) -> ParseResult? {
        withUTF8Bytes(line) { bytes in
            let lines = MultiLine(bytes)
            guard let fields = Self.fields(lines.head) else { return nil }
            var result = ParseResult(structured: fields, format: .logfmt)
            result.message = lines.message(result.message)
            return result
        }
    }

    static func fields(_ b: Bytes) -> ParsedFields? {
        var fields = ParsedFields()
        var pairs = 0
        var i = 0
        while true {
            while i < b.count, b[i] <= ASCII.space { i += 1 }
            guard i < b.count else { break }
            let keyStart = i
            while i < b.count, b[i] > ASCII.space, b[i] != ASCII.equals, b[i] != ASCII.quote { i += 1 }
            guard i > keyStart else { return nil }  // `=value` or a stray quote
            let key = b.text(keyStart..<i)
            guard i < b.count, b[i] == ASCII.equals else {
                guard i == b.count || b[i] <= ASCII.space else { return nil }
                fields.append(key, .bool(true))
                continue
            }
            i += 1
            pairs += 1
            if i < b.count, b[i] == ASCII.quote {
                guard let value = quoted(b, &i) else { return nil }
                fields.append(key, .string(value))
            } else {
                let valueStart = i
                while i < b.count, b[i] > ASCII.space {
                    guard b[i] != ASCII.quote, b[i] != ASCII.equals else { return nil }
                    i += 1
                }
                fields.append(key, .string(b.text(valueStart..<i)))
            }
        }
        return pairs >= 2 ? fields : nil
    }

    /// A Go-quoted string at `i` (on its opening quote).
    static func quoted(_ b: Bytes, _ i: inout Int) -> String? {
        i += 1
        var out: [UInt8] = []
        while i < b.count {
            let byte = b[i]
            i += 1
            if byte == ASCII.quote {
                // The value must end here.
                guard i == b.count || b[i] <= ASCII.space else { return nil }
                return String(decoding: out, as: UTF8.self)
            }
            guard byte == ASCII.backslash else { out.append(byte); continue }
            guard i < b.count else { return nil }
            let escaped = b[i]
            i += 1
            switch escaped {
            case UInt8(ascii: "n"): out.append(ASCII.newline)
            case UInt8(ascii: "t"): out.append(ASCII.tab)
            case UInt8(ascii: "r"): out.append(ASCII.carriageReturn)
            case UInt8(ascii: "u"):
                guard i + 4 <= b.count, let scalar = UInt32(b.text(i..<(i + 4)), radix: 16),
                      let unicode = Unicode.Scalar(scalar) else { return nil }
                i += 4
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: out.append(escaped)  // \" \\ and anything else literally
            }
        }
        return nil
    }
}
