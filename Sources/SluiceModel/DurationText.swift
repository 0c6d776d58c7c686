/// Durations as Prometheus and Loki write them (`250ms`, `1h30m`, `1.5h`, `7d`, `2w`,
/// `1y`), or a plain number of seconds (`30`, `0.5`). Units: ns, us/µs, ms, s, m, h, d
/// (24 h), w (7 d), y (365 d).
public enum DurationText {
    /// Nanoseconds, or nil when the text is no duration or does not fit.
    public static func nanoseconds(_ text: String) -> Int64? {
        if let seconds = Double(text) {
            guard seconds.isFinite, seconds.magnitude < 9e9 else { return nil }
            return Int64((seconds * 1e9).rounded())
        }
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("µs", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9),
                                         ("h", 3600e9), ("d", 86400e9), ("w", 604800e9), ("y", 31536000e9)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { ($0 >= "0" && $0 <= "9") || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        guard total < 9e18 else { return nil }
        return Int64(total.rounded())
    }
}
