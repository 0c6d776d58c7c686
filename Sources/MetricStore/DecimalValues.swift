/// A chunk's values as scaled decimal integers, the alternative to Gorilla's XOR stream
/// that a block uses when it is smaller. Agents' values are mostly decimals with few
/// digits (CPU seconds in 1/100 s ticks, bytes, load averages with two decimals): as
/// doubles their mantissas differ in most bits from one sample to the next, so XOR saves
/// little, while as integers `m` with `value = m / 10^k` a counter's steps are small
/// deltas and a steady rate's are near-zero delta-of-deltas (VictoriaMetrics stores
/// values this way).
///
/// Byte layout:
/// ```
/// byte 0     k (0...15) | mode << 5     mode 0: deltas, mode 1: delta-of-deltas
/// varint     zig-zag m[0]
/// mode 0     zig-zag (m[i] - m[i-1]) for i in 1..<count
/// mode 1     zig-zag (m[1] - m[0]), then zig-zag ((m[i] - m[i-1]) - (m[i-1] - m[i-2])) for i in 2..<count
/// ```
/// A value is `Double(m)` for k = 0, else `Double(m) / 10^k`: exact by construction, since
/// the encoder keeps a chunk this way only when every value reads back bit for bit (NaN,
/// stale markers, infinities, -0 and values needing more than 15 decimals or 53 bits stay XOR).
enum DecimalValues {
    static let maximumExponent = 15
    private static let powers: [Double] = (0...15).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The encoding, or nil when some value is not such a decimal.
    static func encode(_ values: [Double]) -> [UInt8]? {
        guard !values.isEmpty else { return nil }
        var exponent = 0
        for value in values {
            guard let needed = decimalExponent(value, from: exponent) else { return nil }
            exponent = needed
        }
        var integers: [Int64] = []
        integers.reserveCapacity(values.count)
        let power = powers[exponent]
        for value in values {
            let scaled = (value * power).rounded()
            guard scaled.magnitude < 9_007_199_254_740_992 else { return nil }  // 2^53: exact as a double
            let integer = Int64(scaled)
            guard read(integer, exponent: exponent).bitPattern == value.bitPattern else { return nil }
            integers.append(integer)
        }
        var deltas: [UInt8] = [UInt8(exponent)]
        var deltaOfDeltas: [UInt8] = [UInt8(exponent) | 1 << 5]
        deltas.appendStoredZigZag(integers[0])
        deltaOfDeltas.appendStoredZigZag(integers[0])
        var previousDelta: Int64 = 0
        for index in integers.indices.dropFirst() {
            let (delta, overflow) = integers[index].subtractingReportingOverflow(integers[index - 1])
            guard !overflow else { return nil }
            deltas.appendStoredZigZag(delta)
            deltaOfDeltas.appendStoredZigZag(index == 1 ? delta : delta &- previousDelta)
            previousDelta = delta
        }
        return deltaOfDeltas.count < deltas.count ? deltaOfDeltas : deltas
    }

    /// Decodes `count` values.
    static func decode(_ bytes: UnsafeRawBufferPointer, count: Int, into values: inout [Double]) throws {
        guard count > 0 else { return }
        guard let header = bytes.first else { throw XORChunkError.malformed("empty decimal value stream") }
        let exponent = Int(header & 0x1F), mode = header >> 5
        guard exponent <= maximumExponent, mode <= 1 else { throw XORChunkError.malformed("decimal value header \(header)") }
        var position = 1
        func next() throws -> Int64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1) }
                shift += 7
                if shift > 63 { break }
            }
            throw XORChunkError.malformed("decimal value stream ends before its \(count) values")
        }
        var integer = try next()
        values.append(read(integer, exponent: exponent))
        var delta: Int64 = 0
        for index in 1..<count {
            let step = try next()
            delta = mode == 0 || index == 1 ? step : delta &+ step
            integer = integer &+ delta
            values.append(read(integer, exponent: exponent))
        }
    }

    @inline(__always) static func read(_ integer: Int64, exponent: Int) -> Double {
        exponent == 0 ? Double(integer) : Double(integer) / powers[exponent]
    }

    /// The smallest k ≥ `from` for which `value` is `m / 10^k` exactly, or nil.
    private static func decimalExponent(_ value: Double, from minimum: Int) -> Int? {
        guard value.isFinite, value.bitPattern != (-0.0).bitPattern else { return nil }
        for exponent in minimum...maximumExponent {
            let scaled = (value * powers[exponent]).rounded()
            guard scaled.magnitude < 9_007_199_254_740_992 else { return nil }
            if read(Int64(scaled), exponent: exponent).bitPattern == value.bitPattern { return exponent }
        }
        return nil
    }
}
