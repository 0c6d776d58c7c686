/// Go's `strconv.FormatFloat(v, 'f' or 'e', -1, 64)`: the shortest digits that read back
/// as the same double (Swift's `description` finds the same digits), laid out as Go does.
enum GoFloatFormat {
    /// `'f'`: plain decimal, `NaN`, `+Inf`, `-Inf`.
    static func plain(_ value: Double) -> String {
        if let special = special(value) { return special }
        // Swift's description already is Go's layout when it has no exponent ("123.45",
        // "0.30000000000000004"), apart from a whole number's ".0".
        let text = value.description
        if !text.utf8.contains(UInt8(ascii: "e")) {
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        let (negative, digits, exponent) = shortestDigits(value)
        var out = negative ? "-" : ""
        // value = 0.digits × 10^exponent
        if exponent <= 0 {
            out += "0." + String(repeating: "0", count: -exponent) + digits
        } else if exponent >= digits.count {
            out += digits + String(repeating: "0", count: exponent - digits.count)
        } else {
            out += digits.prefix(exponent) + "." + digits.dropFirst(exponent)
        }
        return out
    }

    /// `'e'`: `1e-07`, `1.5e+21` (Go writes at least two exponent digits; JSON's
    /// encoder trims that to one, hence `minimumExponentDigits`).
    static func exponent(_ value: Double, minimumExponentDigits: Int = 2) -> String {
        if let special = special(value) { return special }
        let (negative, digits, exponent) = shortestDigits(value)
        var out = negative ? "-" : ""
        out += String(digits.prefix(1))
        if digits.count > 1 { out += "." + digits.dropFirst() }
        let power = exponent - 1
        let powerDigits = String(power.magnitude)
        out += (power < 0 ? "e-" : "e+") + String(repeating: "0", count: max(0, minimumExponentDigits - powerDigits.count)) + powerDigits
        return out
    }

    /// `%v` (`'g'` with the shortest digits): exponent form from 1e+06 and below 1e-04.
    static func general(_ value: Double) -> String {
        if let special = special(value) { return special }
        let (_, _, exponent) = shortestDigits(value)
        let power = exponent - 1
        return power < -4 || power >= 6 ? self.exponent(value) : plain(value)
    }

    private static func special(_ value: Double) -> String? {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        return nil
    }

    /// Sign, significant digits without leading or trailing zeros, and the decimal
    /// exponent such that the value is `0.<digits> × 10^exponent`.
    static func shortestDigits(_ value: Double) -> (negative: Bool, digits: String, exponent: Int) {
        let text = value.magnitude.description  // "123.45", "1e-07", "1.2345e+20", "5.0"
        var mantissa = Substring(text)
        var power = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            power = Int(text[text.index(after: e)...]) ?? 0
        }
        var integerPart = Substring(mantissa)
        var fractionPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = String(integerPart) + String(fractionPart)
        var exponent = integerPart.count + power
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (value.sign == .minus, digits, exponent)
    }
}
