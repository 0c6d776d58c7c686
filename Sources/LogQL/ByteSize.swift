/// Byte sizes as go-humanize's `ParseBytes` reads them (Loki's bytes filters): `42`,
/// `42MB`, `42 mib`, `1.5KB`, `1,000kb`; units case-insensitive, SI and IEC.
enum ByteSize {
    static func parse<S: Collection<UInt8>>(_ text: S) -> UInt64? {
        let bytes = Array(text)
        var numberEnd = 0
        var number: [UInt8] = []
        for byte in bytes {
            guard (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",") else { break }
            if byte != UInt8(ascii: ",") { number.append(byte) }
            numberEnd += 1
        }
        guard let value = GoFloat.parse(number) else { return nil }
        var unit = bytes[numberEnd...]
        while let first = unit.first, first == 0x20 || (first >= 0x09 && first <= 0x0D) { unit = unit.dropFirst() }
        while let last = unit.last, last == 0x20 || (last >= 0x09 && last <= 0x0D) { unit = unit.dropLast() }
        guard let multiplier = multiplier(String(decoding: unit, as: UTF8.self).lowercased()) else { return nil }
        let scaled = value * Double(multiplier)
        guard scaled < 18_446_744_073_709_551_616.0 else { return nil }
        return UInt64(scaled)
    }

    private static func multiplier(_ unit: String) -> UInt64? {
        switch unit {
        case "", "b": return 1
        case "k", "kb": return 1000
        case "ki", "kib": return 1 << 10
        case "m", "mb": return 1_000_000
        case "mi", "mib": return 1 << 20
        case "g", "gb": return 1_000_000_000
        case "gi", "gib": return 1 << 30
        case "t", "tb": return 1_000_000_000_000
        case "ti", "tib": return 1 << 40
        case "p", "pb": return 1_000_000_000_000_000
        case "pi", "pib": return 1 << 50
        case "e", "eb": return 1_000_000_000_000_000_000
        case "ei", "eib": return 1 << 60
        default: return nil
        }
    }
}

/// Decimal floats as Go's `strconv.ParseFloat(s, 64)` accepts them, near enough: Swift's
/// parser plus Go's refusals (out of range, surrounding space, empty).
enum GoFloat {
    static func parse<S: BidirectionalCollection<UInt8>>(_ text: S) -> Double? {
        guard let first = text.first, first > 0x20, let last = text.last, last > 0x20 else { return nil }
        // Go allows underscores only with a base prefix; Swift never: refuse them all.
        if text.contains(UInt8(ascii: "_")) { return nil }
        guard let value = Double(String(decoding: text, as: UTF8.self)) else { return nil }
        if value.isInfinite {
            // Go reports an overflow for `1e999` but accepts the spellings of infinity.
            let lower = String(decoding: text, as: UTF8.self).lowercased()
            let word = lower.hasPrefix("+") || lower.hasPrefix("-") ? String(lower.dropFirst()) : lower
            if word != "inf" && word != "infinity" { return nil }
        }
        return value
    }
}
