/// Duration text as Go's `time.ParseDuration` and Prometheus's `model.ParseDuration` read it.
enum GoDuration {
    /// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, units ns us µs ms s m h;
    /// nil where Go returns an error (including overflow). Same arithmetic as Go's.
    static func parse<S: Collection<UInt8>>(_ text: S) -> Int64? {
        var s = Array(text)[...]
        var negative = false
        if let first = s.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            s = s.dropFirst()
        }
        if s.count == 1, s.first == UInt8(ascii: "0") { return 0 }
        if s.isEmpty { return nil }
        let limit: UInt64 = 1 << 63
        var total: UInt64 = 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        while !s.isEmpty {
            guard let first = s.first, first == UInt8(ascii: ".") || isDigit(first) else { return nil }
            // Integer part.
            var value: UInt64 = 0
            let before = s.count
            while let byte = s.first, isDigit(byte) {
                if value > limit / 10 { return nil }
                value = value * 10 + UInt64(byte - 0x30)
                if value > limit { return nil }
                s = s.dropFirst()
            }
            let hasInteger = s.count != before
            // Fraction part.
            var fraction: UInt64 = 0
            var scale = 1.0
            var hasFraction = false
            if s.first == UInt8(ascii: ".") {
                s = s.dropFirst()
                let start = s.count
                var overflow = false
                while let byte = s.first, isDigit(byte) {
                    s = s.dropFirst()
                    if overflow { continue }
                    if fraction > (limit - 1) / 10 { overflow = true; continue }
                    let next = fraction * 10 + UInt64(byte - 0x30)
                    if next > limit { overflow = true; continue }
                    fraction = next
                    scale *= 10
                }
                hasFraction = s.count != start
            }
            if !hasInteger && !hasFraction { return nil }
            // Unit.
            var unitLength = 0
            for byte in s {
                if byte == UInt8(ascii: ".") || isDigit(byte) { break }
                unitLength += 1
            }
            if unitLength == 0 { return nil }
            guard let unit = Self.unit(s.prefix(unitLength)) else { return nil }
            s = s.dropFirst(unitLength)
            if value > limit / unit { return nil }
            value *= unit
            if fraction > 0 {
                value += UInt64(Double(fraction) * (Double(unit) / scale))
                if value > limit { return nil }
            }
            total += value
            if total > limit { return nil }
        }
        if negative { return total == limit ? Int64.min : -Int64(total) }
        if total > limit - 1 { return nil }
        return Int64(total)
    }

    private static func unit(_ name: ArraySlice<UInt8>) -> UInt64? {
        switch Array(name) {
        case Array("ns".utf8): return 1
        case Array("us".utf8), Array("µs".utf8), Array("μs".utf8): return 1000
        case Array("ms".utf8): return 1_000_000
        case Array("s".utf8): return 1_000_000_000
        case Array("m".utf8): return 60_000_000_000
        case Array("h".utf8): return 3_600_000_000_000
        default: return nil
        }
    }

    /// Prometheus's `model.ParseDuration`: `1y2w3d4h5m6s7ms` in that order, integers only.
    static func parsePrometheus<S: Collection<UInt8>>(_ text: S) -> Int64? {
        let bytes = Array(text)
        if bytes == [UInt8(ascii: "0")] { return 0 }
        let units: [(String, Int64)] = [
            ("y", 365 * 86_400_000_000_000), ("w", 7 * 86_400_000_000_000), ("d", 86_400_000_000_000),
            ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
        ]
        var index = 0
        var nextUnit = 0
        var total: Int64 = 0
        guard !bytes.isEmpty else { return nil }
        while index < bytes.count {
            var value: Int64 = 0
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                value = product + Int64(bytes[index] - 0x30)
                index += 1
            }
            guard index > start else { return nil }
            var unitEnd = index
            while unitEnd < bytes.count, !(bytes[unitEnd] >= 0x30 && bytes[unitEnd] <= 0x39) { unitEnd += 1 }
            let name = String(decoding: bytes[index..<unitEnd], as: UTF8.self)
            guard let position = units[nextUnit...].firstIndex(where: { $0.0 == name }) else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: units[position].1)
            if overflow { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(product)
            if overflow2 { return nil }
            total = sum
            nextUnit = position + 1
            index = unitEnd
        }
        return total
    }
}
