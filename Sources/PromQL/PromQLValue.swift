import SluiceModel

/// A query's result, in Prometheus's four shapes. Times are milliseconds since the epoch.
public enum PromQLValue: Sendable, Equatable {
    case scalar(time: Int64, value: Double)
    case string(time: Int64, value: String)
    /// Instant query results: sorted by labels, except after `sort`, `sort_desc`, `topk`
    /// and `bottomk` at the top of the expression, which define the order.
    case vector([PromQLSample])
    /// Range query results (and instant queries of a range selector): series sorted by
    /// labels, each series' points by time.
    case matrix([PromQLSeries])

    public static func == (lhs: PromQLValue, rhs: PromQLValue) -> Bool {
        switch (lhs, rhs) {
        case let (.scalar(t1, v1), .scalar(t2, v2)): return t1 == t2 && v1.bitPattern == v2.bitPattern
        case let (.string(t1, v1), .string(t2, v2)): return t1 == t2 && v1 == v2
        case let (.vector(a), .vector(b)): return a == b
        case let (.matrix(a), .matrix(b)): return a == b
        default: return false
        }
    }

    /// Prometheus's `resultType`: `scalar`, `string`, `vector` or `matrix`.
    public var resultType: String {
        switch self {
        case .scalar: return "scalar"
        case .string: return "string"
        case .vector: return "vector"
        case .matrix: return "matrix"
        }
    }
}

/// One sample of an instant vector.
public struct PromQLSample: Sendable, Equatable {
    public var labels: Labels
    public var time: Int64
    public var value: Double

    public init(labels: Labels, time: Int64, value: Double) {
        self.labels = labels
        self.time = time
        self.value = value
    }

    /// NaN equals NaN here (same bits), so results compare as Prometheus prints them.
    public static func == (lhs: PromQLSample, rhs: PromQLSample) -> Bool {
        lhs.labels == rhs.labels && lhs.time == rhs.time && lhs.value.bitPattern == rhs.value.bitPattern
    }
}

/// One point of a series.
public struct PromQLPoint: Sendable, Equatable {
    public var time: Int64
    public var value: Double

    public init(time: Int64, value: Double) {
        self.time = time
        self.value = value
    }

    public static func == (lhs: PromQLPoint, rhs: PromQLPoint) -> Bool {
        lhs.time == rhs.time && lhs.value.bitPattern == rhs.value.bitPattern
    }
}

/// One series of a matrix.
public struct PromQLSeries: Sendable, Equatable {
    public var labels: Labels
    public var points: [PromQLPoint]

    public init(labels: Labels, points: [PromQLPoint]) {
        self.labels = labels
        self.points = points
    }
}

extension PromQLValue {
    /// A vector or matrix sample value as Prometheus 2.42's JSON API writes it (the
    /// string in `[time, "value"]`): Go's shortest round-trip digits, in plain decimal
    /// unless `|v| < 1e-6` or `|v| >= 1e21` (then `1e-07`, `1e+21`); `NaN`, `+Inf`, `-Inf`.
    public static func formatSampleValue(_ value: Double) -> String {
        let magnitude = value.magnitude
        if magnitude != 0, magnitude.isFinite, magnitude < 1e-6 || magnitude >= 1e21 {
            return GoFloatFormat.exponent(value)
        }
        return GoFloatFormat.plain(value)
    }

    /// `formatSampleValue` appended as bytes (the JSON encoder's hot path: a range query
    /// answer holds a value per point).
    public static func appendSampleValue(_ value: Double, to bytes: inout [UInt8]) {
        let magnitude = value.magnitude
        if value.isFinite, value != 0, magnitude >= 1e-6, magnitude < 1e21 {
            var text = value.description
            let done: Bool = text.withUTF8 { utf8 in
                guard !utf8.contains(UInt8(ascii: "e")) else { return false }
                let count = utf8.count >= 2 && utf8[utf8.count - 2] == UInt8(ascii: ".") && utf8[utf8.count - 1] == UInt8(ascii: "0")
                    ? utf8.count - 2 : utf8.count
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[0..<count]))
                return true
            }
            if done { return }
        }
        bytes.append(contentsOf: formatSampleValue(value).utf8)
    }

    /// `formatSampleTime` appended as bytes.
    public static func appendSampleTime(_ milliseconds: Int64, to bytes: inout [UInt8]) {
        if milliseconds < 0 {
            bytes.append(contentsOf: formatSampleTime(milliseconds).utf8)
            return
        }
        appendDecimal(UInt64(milliseconds / 1000), to: &bytes)
        let fraction = Int(milliseconds % 1000)
        if fraction != 0 {
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
            bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        }
    }

    private static func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// A scalar result's value as Prometheus writes it: `strconv.FormatFloat(v, 'f', -1, 64)`,
    /// never an exponent (`0.0000001`).
    public static func formatScalarValue(_ value: Double) -> String {
        GoFloatFormat.plain(value)
    }

    /// A vector or matrix point's time as Prometheus writes it: unix seconds, and when
    /// the milliseconds are not whole seconds, a point and exactly three digits
    /// (`1700000000`, `1700000000.500`, `1700000000.050`).
    public static func formatSampleTime(_ milliseconds: Int64) -> String {
        var out = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        out += String(magnitude / 1000)
        let fraction = magnitude % 1000
        if fraction != 0 {
            out += fraction < 10 ? ".00" : fraction < 100 ? ".0" : "."
            out += String(fraction)
        }
        return out
    }

    /// A scalar or string result's time as Prometheus writes it (Go's JSON encoding of
    /// `float64(ms) / 1000`: `1700000000.5`).
    public static func formatScalarTime(_ milliseconds: Int64) -> String {
        let seconds = Double(milliseconds) / 1000
        let magnitude = seconds.magnitude
        if magnitude != 0, magnitude < 1e-6 || magnitude >= 1e21 {
            return GoFloatFormat.exponent(seconds, minimumExponentDigits: 1)
        }
        return GoFloatFormat.plain(seconds)
    }
}
