/// Durations as Prometheus's `model.Duration` reads and writes them in rule files:
/// integer units in the order `y w d h m s ms` (`1h30m`, `250ms`, `0`), no fractions,
/// no spaces, no sign.
public enum PrometheusDuration {
    private static let units: [(name: String, milliseconds: Int64)] = [
        ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000),
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Milliseconds, or nil when the text is not a Prometheus duration or overflows.
    public static func milliseconds(_ text: String) -> Int64? {
        if text == "0" { return 0 }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var nextUnit = 0
        var total: Int64 = 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        while index < bytes.count {
            var value: Int64 = 0
            let start = index
            while index < bytes.count, isDigit(bytes[index]) {
                let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                value = product + Int64(bytes[index] - 0x30)
                index += 1
            }
            guard index > start else { return nil }
            var unitEnd = index
            while unitEnd < bytes.count, !isDigit(bytes[unitEnd]) { unitEnd += 1 }
            let name = String(decoding: bytes[index..<unitEnd], as: UTF8.self)
            // Units must come largest first, each at most once.
            guard let position = units[nextUnit...].firstIndex(where: { $0.name == name }) else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: units[position].milliseconds)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow, !overflow2 else { return nil }
            total = sum
            nextUnit = position + 1
            index = unitEnd
        }
        return total
    }

    /// `model.Duration.String()`: `1h30m`, `250ms`, `0s`.
    public static func text(milliseconds: Int64) -> String {
        guard milliseconds > 0 else { return "0s" }
        var rest = milliseconds
        var out = ""
        for unit in units where rest >= unit.milliseconds {
            out += "\(rest / unit.milliseconds)\(unit.name)"
            rest %= unit.milliseconds
        }
        return out
    }
}
