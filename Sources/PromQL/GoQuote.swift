/// Go's `%q` quoting, for error messages that read exactly like Prometheus's.
enum GoQuote {
    /// `strconv.Quote`: double quotes, backslash escapes for quotes, backslashes and
    /// control characters.
    static func string(_ text: String) -> String {
        quote(text.unicodeScalars, delimiter: "\"")
    }

    /// Prometheus's item rendering: `%q`, or the first ten runes quoted and `...` when the
    /// text is longer than ten bytes.
    static func truncated(_ text: String) -> String {
        if text.utf8.count > 10 { return quote(text.unicodeScalars.prefix(10), delimiter: "\"") + "..." }
        return string(text)
    }

    /// `strconv.QuoteRune`.
    static func rune(_ scalar: Unicode.Scalar) -> String {
        quote(CollectionOfOne(scalar), delimiter: "'")
    }

    static let eofRune = "'\u{FFFD}'"

    private static func quote<Scalars: Sequence<Unicode.Scalar>>(_ scalars: Scalars, delimiter: Unicode.Scalar) -> String {
        var out = String(delimiter)
        for scalar in scalars {
            switch scalar {
            case delimiter, "\\":
                out.unicodeScalars.append("\\")
                out.unicodeScalars.append(scalar)
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, digits: 2)
                } else if scalar.value >= 0x80, !scalar.properties.isPrintableForGo {
                    out += scalar.value > 0xFFFF ? "\\U" + hex(scalar.value, digits: 8) : "\\u" + hex(scalar.value, digits: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.unicodeScalars.append(delimiter)
        return out
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

extension Unicode.Scalar.Properties {
    /// Close to Go's `unicode.IsPrint` for non-ASCII: letters, marks, numbers,
    /// punctuation, symbols, and U+0020 (other spaces and controls are escaped).
    fileprivate var isPrintableForGo: Bool {
        switch generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
