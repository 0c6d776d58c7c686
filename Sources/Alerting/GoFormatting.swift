import Glibc
import SluiceModel

/// Number and time text the way Go (and so Prometheus and Alertmanager) writes it, so
/// templates, API bodies and payloads read the same as theirs.
enum GoFormatting {
    /// The shortest decimal digits that round-trip `value` (from Swift's own shortest
    /// printing), as Go's strconv computes them: digits without leading or trailing zeros
    /// and the position of the decimal point (`0.97` → "97", 0; `1e6` → "1", 7).
    static func shortestDigits(_ value: Double) -> (negative: Bool, digits: [UInt8], decimalPoint: Int) {
        var text = Array(value.magnitude.description.utf8)
        var exponent = 0
        if let e = text.firstIndex(of: UInt8(ascii: "e")) {
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
            text.removeSubrange(e...)
        }
        var digits: [UInt8] = []
        var pointAt = -1
        for byte in text {
            if byte == UInt8(ascii: ".") { pointAt = digits.count } else { digits.append(byte) }
        }
        var decimalPoint = (pointAt < 0 ? digits.count : pointAt) + exponent
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            decimalPoint -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { decimalPoint = 1 }
        return (value.sign == .minus, digits, decimalPoint)
    }

    /// Go's `fmt.Sprint(float64)` (`%v`, strconv's shortest `'g'`): shortest digits,
    /// exponent form below 1e-4 or from 1e6 on (`1e+06`); `NaN`, `+Inf`, `-Inf`.
    static func formatV(_ value: Double) -> String {
        if let special = special(value) { return special }
        let (negative, digits, point) = shortestDigits(value)
        guard !digits.isEmpty else { return negative ? "-0" : "0" }
        let exponent = point - 1
        if exponent < -4 || exponent >= 6 { return exponentForm(negative, digits, exponent) }
        return fixedForm(negative, digits, point)
    }

    /// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: `9.7e-01` (what Prometheus's API
    /// writes as an alert's value).
    static func formatE(_ value: Double) -> String {
        if let special = special(value) { return special }
        let (negative, digits, point) = shortestDigits(value)
        guard !digits.isEmpty else { return negative ? "-0e+00" : "0e+00" }
        return exponentForm(negative, digits, point - 1)
    }

    private static func special(_ value: Double) -> String? {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return nil
    }

    private static func exponentForm(_ negative: Bool, _ digits: [UInt8], _ exponent: Int) -> String {
        var out = negative ? "-" : ""
        out += String(decoding: digits[0...0], as: UTF8.self)
        if digits.count > 1 { out += "." + String(decoding: digits[1...], as: UTF8.self) }
        out += exponent < 0 ? "e-" : "e+"
        let magnitude = abs(exponent)
        out += magnitude < 10 ? "0\(magnitude)" : "\(magnitude)"
        return out
    }

    private static func fixedForm(_ negative: Bool, _ digits: [UInt8], _ point: Int) -> String {
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        if point <= 0 {
            out += Array("0.".utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: -point) + digits
        } else if point >= digits.count {
            out += digits + [UInt8](repeating: UInt8(ascii: "0"), count: point - digits.count)
        } else {
            out += digits[..<point] + [UInt8(ascii: ".")] + digits[point...]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One C-compatible float conversion (`%.4g`, `%8.2f`, `%e`) through vsnprintf, whose
    /// rounding and exponent form (at least two digits) match Go's; NaN and infinities
    /// spelled as Go spells them.
    static func cFloat(_ spec: String, _ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return spec.contains("+") || value < 0 ? (value > 0 ? "+Inf" : "-Inf") : "+Inf" }
        var buffer = [CChar](repeating: 0, count: 512)
        let count = withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, spec, arguments) }
        }
        guard count >= 0 else { return "" }
        let length = min(Int(count), buffer.count - 1)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Go's `time.RFC3339Nano` in UTC: fraction without trailing zeros, none when whole
    /// (`2026-11-22T02:37:03.37Z`); Go's zero time for `nil`.
    static func rfc3339Nano(milliseconds: Int64?) -> String {
        guard let milliseconds else { return "0001-01-01T00:00:00Z" }
        var text = Array(Timestamp(nanosecondsSinceEpoch: milliseconds &* 1_000_000).rfc3339.utf8)
        // …SS.fffffffffZ: drop trailing zeros of the fraction, then a bare point.
        text.removeLast()
        while let last = text.last, last == UInt8(ascii: "0") { text.removeLast() }
        if text.last == UInt8(ascii: ".") { text.removeLast() }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// `2026-11-22T02:37:03.370Z`: always milliseconds (go-openapi's `strfmt.DateTime`,
    /// what Alertmanager's v2 API reads and writes).
    static func rfc3339Milliseconds(_ milliseconds: Int64) -> String {
        var text = Array(Timestamp(nanosecondsSinceEpoch: milliseconds &* 1_000_000).rfc3339.utf8)
        text.removeLast(7) // six sub-millisecond digits and the Z
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }
}
