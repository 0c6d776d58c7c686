import SluiceModel

/// Calendar arithmetic for timestamps written as dates (syslog, common log format).
/// SluiceModel keeps its own copy internal; this one is the same algorithm (Howard
/// Hinnant's, proleptic Gregorian, UTC).
enum CivilTime {
    static let nanosecondsPerSecond: Int64 = 1_000_000_000

    /// Days since 1970-01-01.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The UTC calendar year of `timestamp`.
    static func year(of timestamp: Timestamp) -> Int64 {
        let seconds = timestamp.nanosecondsSinceEpoch / nanosecondsPerSecond
        let days = (seconds >= 0 ? seconds : seconds - 86_399) / 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        return yearOfEra + era * 400 + (shiftedMonth >= 10 ? 1 : 0)
    }

    /// A UTC date and time, minus `offsetSeconds` east of UTC; nil outside what Int64
    /// nanoseconds hold (1677–2262), so a year like 9999 in hostile input cannot trap.
    static func timestamp(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64,
                          second: Int64, nanoseconds: Int64 = 0, offsetSeconds: Int64 = 0) -> Timestamp? {
        guard (1678...2261).contains(year) else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Timestamp(nanosecondsSinceEpoch: seconds * nanosecondsPerSecond + nanoseconds)
    }

    /// `Timestamp(rfc3339:)` for years it can represent: SluiceModel's parser would
    /// overflow (and trap) on years past 2262.
    static func rfc3339(_ text: String) -> Timestamp? {
        let year = text.utf8.prefix(4)
        guard year.count == 4, year.allSatisfy(ASCII.isDigit),
              let value = Int(String(decoding: year, as: UTF8.self)), (1678...2261).contains(value)
        else { return nil }
        return Timestamp(rfc3339: text)
    }

    /// `Jan`…`Dec` (as syslog and the common log format write them) → 1…12.
    static func month(_ bytes: Bytes, at index: Int) -> Int64? {
        guard index + 3 <= bytes.count else { return nil }
        let names: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for (offset, name) in names.enumerated() where bytes.matches(name, at: index) {
            return Int64(offset + 1)
        }
        return nil
    }

    /// `hh:mm:ss` at `index` → seconds of the day.
    static func timeOfDay(_ bytes: Bytes, at index: Int) -> (hour: Int64, minute: Int64, second: Int64)? {
        guard index + 8 <= bytes.count, bytes[index + 2] == ASCII.colon, bytes[index + 5] == ASCII.colon,
              let hour = bytes.decimal(index..<(index + 2)), hour < 24,
              let minute = bytes.decimal((index + 3)..<(index + 5)), minute < 60,
              let second = bytes.decimal((index + 6)..<(index + 8)), second <= 60
        else { return nil }
        return (hour, minute, second)
    }
}
