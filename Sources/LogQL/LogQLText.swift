import SluiceModel

/// Text helpers shared by the parser and the canonical printer.
enum LogQLText {
    /// A double-quoted string with Go escapes, as the lexer reads it back.
    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `name=~"value"` with the value quoted as `quote` does.
    static func matcher(_ matcher: LabelMatcher) -> String {
        matcher.name + matcher.op.rawValue + quote(matcher.value)
    }

    /// `1h30m`, `250ms`, `0s`: integer units only, so Go and the lexer both read it back.
    static func duration(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        var out = nanoseconds < 0 ? "-" : ""
        var rest = nanoseconds.magnitude
        let units: [(String, UInt64)] = [
            ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
            ("ms", 1_000_000), ("us", 1000), ("ns", 1),
        ]
        for (name, size) in units where rest >= size {
            out += "\(rest / size)\(name)"
            rest %= size
        }
        return out
    }

    /// Integers without a fraction; others as Swift prints them (which the lexer reads).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, Prometheus's label name rule.
    static func isLabelName<S: StringProtocol>(_ name: S) -> Bool {
        var first = true
        for byte in name.utf8 {
            let letter = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
            let digit = byte >= 0x30 && byte <= 0x39
            if !(letter || (!first && digit)) { return false }
            first = false
        }
        return !first
    }
}
