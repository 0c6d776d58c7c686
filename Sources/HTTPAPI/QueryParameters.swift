import Hummingbird
import SluiceModel

/// Reads Loki's and Prometheus's query parameters, from the URL or (for POST) a form
/// body, with their formats: times as Unix nanoseconds, seconds (`1700000000`,
/// `1700000000.5`) or RFC 3339; durations as `5m`/`1h30m` or float seconds.
struct QueryParameters {
    private var values: [String: String] = [:]
    /// Every value of a repeated name (`match[]=a&match[]=b`), in order.
    private var lists: [String: [String]] = [:]

    /// The raw query string is decoded here (not by the router) so that `+` is a space
    /// and `%2B` a plus, as form encoding says; a form body's values win.
    init(request: Request, formBody: [UInt8]? = nil) {
        add(form: request.uri.query ?? "")
        if let formBody { add(form: String(decoding: formBody, as: UTF8.self)) }
    }

    private mutating func add(form: String) {
        for pair in form.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first else { continue }
            let value = (parts.count > 1 ? String(parts[1]) : "").formURLDecoded
            let decodedName = String(name).formURLDecoded
            values[decodedName] = value
            lists[decodedName, default: []].append(value)
        }
    }

    subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// Every non-empty value given for `name`.
    func all(_ name: String) -> [String] {
        (lists[name] ?? []).filter { !$0.isEmpty }
    }

    /// Whether the parameter was given at all, even empty.
    func isPresent(_ name: String) -> Bool { values[name] != nil }

    func required(_ name: String) throws -> String {
        guard let value = self[name] else { throw APIError.badData("missing parameter '\(name)'") }
        return value
    }

    func time(_ name: String, default fallback: Timestamp) throws -> Timestamp {
        guard let text = self[name] else { return fallback }
        guard let time = Self.parseTime(text) else {
            throw APIError.badData("invalid parameter '\(name)': '\(text)' is not a Unix time (ns or s) or RFC 3339")
        }
        return time
    }

    func duration(_ name: String) throws -> Int64? {
        guard let text = self[name] else { return nil }
        guard let nanoseconds = DurationText.nanoseconds(text), nanoseconds > 0 else {
            throw APIError.badData("invalid parameter '\(name)': '\(text)' is not a positive duration (e.g. 15s, 5m, 1h) or number of seconds")
        }
        return nanoseconds
    }

    func integer(_ name: String, default fallback: Int) throws -> Int {
        guard let text = self[name] else { return fallback }
        guard let value = Int(text), value >= 0 else { throw APIError.badData("invalid parameter '\(name)': '\(text)' is not a non-negative integer") }
        return value
    }

    func direction() throws -> LogScan.Direction {
        guard let text = self["direction"] else { return .backward }
        guard let direction = LogScan.Direction(rawValue: text.lowercased()) else {
            throw APIError.badData("invalid parameter 'direction': '\(text)' (use forward or backward)")
        }
        return direction
    }

    /// Loki's rule: a number with a dot is float seconds; an integer of at most 10 digits
    /// is seconds, longer is nanoseconds; otherwise RFC 3339.
    static func parseTime(_ text: String) -> Timestamp? {
        if text.contains("."), let seconds = Double(text), seconds.isFinite, seconds.magnitude < 9.2e9 {
            let whole = seconds.rounded(.down)
            let fraction = ((seconds - whole) * 1e6).rounded() * 1000
            return Timestamp(nanosecondsSinceEpoch: Int64(whole) * 1_000_000_000 + Int64(fraction))
        }
        if let integer = Int64(text) {
            if text.utf8.count <= 10 {
                let (value, overflow) = integer.multipliedReportingOverflow(by: 1_000_000_000)
                return overflow ? nil : Timestamp(nanosecondsSinceEpoch: value)
            }
            return Timestamp(nanosecondsSinceEpoch: integer)
        }
        return Timestamp(rfc3339: text)
    }

}

extension String {
    /// Decodes `%XX` escapes and `+` as space (form encoding); bad escapes stay as they are.
    var formURLDecoded: String {
        guard contains("%") || contains("+") else { return self }
        var out: [UInt8] = []
        let bytes = Array(utf8)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 48...57: byte - 48
            case 65...70: byte - 55
            case 97...102: byte - 87
            default: nil
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
