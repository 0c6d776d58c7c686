import SluiceModel

/// Turns a field value into event time: RFC 3339 text, Unix time in seconds,
/// milliseconds, microseconds or nanoseconds (told apart by magnitude, as Vector and
/// Loki's promtail do), or the common log format's `22/Nov/2026:06:16:27 +0000`.
public enum TimestampExtractor {
    /// Field names that carry event time, most specific first.
    public static let fieldNames = ["timestamp", "@timestamp", "time", "ts", "datetime"]

    /// Event time from the first field named in `fieldNames` that parses.
    public static func timestamp(in fields: ParsedFields) -> Timestamp? {
        for name in fieldNames {
            if let value = fields.first(namedIgnoringCase: [name]), let timestamp = timestamp(from: value) {
                return timestamp
            }
        }
        return nil
    }

    /// Event time from one value; nil when it is no timestamp.
    public static func timestamp(from value: FieldValue) -> Timestamp? {
        switch value {
        case .string(let text): timestamp(fromText: text)
        case .int(let number): unix(number)
        case .double(let number): unix(number)
        case .bool, .null: nil
        }
    }

    /// RFC 3339, the common log format, or a Unix time written as digits.
    public static func timestamp(fromText text: String) -> Timestamp? {
        if let timestamp = CivilTime.rfc3339(text) { return timestamp }
        if let timestamp = commonLogTime(text) { return timestamp }
        guard let first = text.utf8.first, ASCII.isDigit(first) || first == ASCII.minus,
              text.utf8.allSatisfy({ ASCII.isDigit($0) || $0 == ASCII.dot || $0 == ASCII.minus })
        else { return nil }
        if let integer = Int64(text) { return unix(integer) }
        if let number = Double(text) { return unix(number) }
        return nil
    }

    /// Unix time by magnitude: below 10^11 seconds (until year 5138), below 10^14
    /// milliseconds, below 10^17 microseconds, else nanoseconds. nil past what Int64
    /// nanoseconds hold (year 2262).
    public static func unix(_ value: Int64) -> Timestamp? {
        let magnitude = value.magnitude
        let scale: Int64 = magnitude < 100_000_000_000 ? 1_000_000_000
            : magnitude < 100_000_000_000_000 ? 1_000_000
            : magnitude < 100_000_000_000_000_000 ? 1000 : 1
        let (nanoseconds, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : Timestamp(nanosecondsSinceEpoch: nanoseconds)
    }

    /// Unix time with a fraction (zap's `ts`), by the same magnitudes. A Double holds
    /// about a microsecond at today's seconds, so fractional seconds round to microseconds.
    public static func unix(_ value: Double) -> Timestamp? {
        guard value.isFinite, value.magnitude < 9e18 else { return nil }
        if value == value.rounded(.towardZero), value.magnitude < 9e15 { return unix(Int64(value)) }
        let magnitude = value.magnitude
        let unitsPerSecond: Double = magnitude < 1e11 ? 1 : magnitude < 1e14 ? 1e3 : magnitude < 1e17 ? 1e6 : 1e9
        let seconds = (value / unitsPerSecond).rounded(.down)
        let microseconds = ((value / unitsPerSecond - seconds) * 1e6).rounded()
        guard seconds.magnitude < 9.2e9 else { return nil }
        return Timestamp(nanosecondsSinceEpoch: Int64(seconds) * 1_000_000_000 + Int64(microseconds) * 1000)
    }

    /// The common log format's time, `22/Nov/2026:06:16:27 +0000`.
    public static func commonLogTime(_ text: String) -> Timestamp? {
        withUTF8Bytes(text) { bytes in
            guard bytes.count == 26 else { return nil }
            return commonLogTime(bytes, at: 0)
        }
    }

    /// The common log format's time in the 26 bytes at `index`.
    static func commonLogTime(_ b: Bytes, at index: Int) -> Timestamp? {
        guard index + 26 <= b.count, b[index + 2] == ASCII.slash, b[index + 6] == ASCII.slash,
              b[index + 11] == ASCII.colon, b[index + 20] == ASCII.space,
              let day = b.decimal(index..<(index + 2)), (1...31).contains(day),
              let month = CivilTime.month(b, at: index + 3),
              let year = b.decimal((index + 7)..<(index + 11)),
              let time = CivilTime.timeOfDay(b, at: index + 12),
              b[index + 21] == ASCII.plus || b[index + 21] == ASCII.minus,
              let offsetHours = b.decimal((index + 22)..<(index + 24)),
              let offsetMinutes = b.decimal((index + 24)..<(index + 26))
        else { return nil }
        let offset = (offsetHours * 3600 + offsetMinutes * 60) * (b[index + 21] == ASCII.minus ? -1 : 1)
        return CivilTime.timestamp(year: year, month: month, day: day, hour: time.hour, minute: time.minute,
                                   second: time.second, offsetSeconds: offset)
    }
}
