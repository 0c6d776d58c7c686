/// A run of one series' samples compressed as Gorilla does (Pelkonen et al., VLDB 2015, and
/// Prometheus's XOR chunk): timestamps by delta-of-delta, values by XOR with the previous
/// value. Unlike Prometheus the two are separate bit streams, timestamps first: series of
/// one host share their timestamps, so their timestamp streams are identical bytes that
/// zstd on top of a block stores once.
///
/// Timestamp stream (bits, most significant first):
/// ```
/// t0: 64 bits
/// then per sample, dod = (t[i] - t[i-1]) - (t[i-1] - t[i-2])  (the first delta's dod is the delta)
///   '0'                dod == 0
///   '10'   + 14 bits   -8191 ... 8192
///   '110'  + 17 bits   -65535 ... 65536
///   '1110' + 20 bits   -524287 ... 524288
///   '1111' + 64 bits   anything else (wrapping arithmetic: any Int64 gap round-trips)
/// ```
/// Value stream: v0 as 64 bits; then x = bits(v[i]) ^ bits(v[i-1]):
/// ```
///   '0'                                          x == 0
///   '10' + meaningful bits                       x fits the previous window (leading/trailing zeros)
///   '11' + 5 bits leading + 6 bits length + bits  a new window (length 64 written as 0)
/// ```
/// Values are kept bit for bit: NaN payloads (the stale marker), -0.0 and infinities survive.
public struct XORChunk: Sendable, Equatable {
    /// The timestamp stream, then the value stream.
    public var bytes: [UInt8]
    public var timestampByteCount: Int
    public var count: Int
    public var minTime: Int64
    public var maxTime: Int64

    /// Samples per chunk before a new one is cut (Prometheus's 120), and the longest time
    /// span one chunk covers.
    public static let targetSamples = 120
    public static let maxSpanMilliseconds: Int64 = 2 * 3600 * 1000

    /// Decodes samples with `start <= t <= end`, appending them.
    public func decode(from start: Int64 = .min, through end: Int64 = .max,
                       into timestamps: inout [Int64], _ values: inout [Double]) throws {
        try bytes.withUnsafeBytes { raw in
            try Self.decode(timestamps: UnsafeRawBufferPointer(rebasing: raw[..<timestampByteCount]),
                            values: UnsafeRawBufferPointer(rebasing: raw[timestampByteCount...]),
                            count: count, from: start, through: end, into: &timestamps, &values)
        }
    }

    /// Decodes `count` samples from the two streams, appending those in `start...end`.
    /// Throws `XORChunkError` when a stream is shorter than its samples need.
    static func decode(timestamps timestampBytes: UnsafeRawBufferPointer, values valueBytes: UnsafeRawBufferPointer,
                       count: Int, from start: Int64, through end: Int64,
                       into timestamps: inout [Int64], _ values: inout [Double]) throws {
        guard count > 0 else { return }
        var times = BitReader(timestampBytes)
        var bits = BitReader(valueBytes)
        var time = Int64(bitPattern: times.readWide(64))
        var value = bits.readWide(64)
        var delta: Int64 = 0
        var leading = 0
        var trailing = 0
        var index = 0
        while true {
            if time > end { break }
            if time >= start {
                timestamps.append(time)
                values.append(Double(bitPattern: value))
            }
            index += 1
            if index == count { break }
            delta = delta &+ readDeltaOfDelta(&times)
            time = time &+ delta
            // Value.
            if bits.readBit() {
                if bits.readBit() {
                    leading = Int(bits.read(5))
                    var length = Int(bits.read(6))
                    if length == 0 { length = 64 }
                    trailing = 64 - leading - length
                    if trailing < 0 { throw XORChunkError.malformed("value window \(leading)+\(length) exceeds 64 bits") }
                }
                let length = 64 - leading - trailing
                value ^= bits.readWide(length) << UInt64(trailing)
            }
            if times.overran || bits.overran { break }
        }
        if times.overran || bits.overran {
            throw XORChunkError.malformed("stream ends before its \(count) samples")
        }
    }

    /// Decodes only the timestamp stream's `count` times (for chunks whose values a block
    /// stores as `DecimalValues`).
    static func decodeTimestamps(_ timestampBytes: UnsafeRawBufferPointer, count: Int, into timestamps: inout [Int64]) throws {
        guard count > 0 else { return }
        var times = BitReader(timestampBytes)
        var time = Int64(bitPattern: times.readWide(64))
        var delta: Int64 = 0
        timestamps.append(time)
        for _ in 1..<count {
            delta = delta &+ readDeltaOfDelta(&times)
            time = time &+ delta
            timestamps.append(time)
            if times.overran { break }
        }
        if times.overran { throw XORChunkError.malformed("timestamp stream ends before its \(count) samples") }
    }

    /// One timestamp's delta-of-delta: `0`, or `10`/`110`/`1110` and a 14/17/20-bit field,
    /// or `1111` and 64 bits (Prometheus's buckets).
    @inline(__always)
    static func readDeltaOfDelta(_ times: inout BitReader) -> Int64 {
        guard times.readBit() else { return 0 }
        if !times.readBit() { return signed(times.read(14), bits: 14) }
        if !times.readBit() { return signed(times.read(17), bits: 17) }
        if !times.readBit() { return signed(times.read(20), bits: 20) }
        return Int64(bitPattern: times.readWide(64))
    }

    /// A `bits`-wide two's-complement field as Prometheus reads it: values above half the
    /// range are negative.
    @inline(__always)
    static func signed(_ raw: UInt64, bits: Int) -> Int64 {
        raw > (1 << UInt64(bits - 1)) ? Int64(bitPattern: raw) - (1 << Int64(bits)) : Int64(bitPattern: raw)
    }
}

/// A chunk's streams do not hold what their header promises.
public enum XORChunkError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case let .malformed(reason): "malformed XOR chunk: \(reason)"
        }
    }
}

/// Builds an `XORChunk` sample by sample; the head keeps one per series as its open chunk.
/// Timestamps must strictly increase (the head routes older ones elsewhere).
///
/// Thread-safety: a value type; a copy is a consistent snapshot of the samples so far.
public struct XORChunkEncoder: Sendable {
    private(set) var timestampBits = BitWriter()
    private(set) var valueBits = BitWriter()
    public private(set) var count = 0
    public private(set) var minTime: Int64 = 0
    public private(set) var maxTime: Int64 = 0
    private var delta: Int64 = 0
    private var previousValue: UInt64 = 0
    /// The current value window; `leading == 0xFF` before the first.
    private var leading = 0xFF
    private var trailing = 0

    public init() {}

    public mutating func append(_ time: Int64, _ value: Double) {
        let valueBits = value.bitPattern
        if count == 0 {
            timestampBits.write(UInt64(bitPattern: time), bits: 64)
            self.valueBits.write(valueBits, bits: 64)
            minTime = time
        } else {
            let newDelta = time &- maxTime
            let dod = newDelta &- delta
            delta = newDelta
            if dod == 0 {
                timestampBits.writeBit(false)
            } else if fits(dod, bits: 14) {
                timestampBits.write(0b10, bits: 2)
                timestampBits.write(UInt64(bitPattern: dod), bits: 14)
            } else if fits(dod, bits: 17) {
                timestampBits.write(0b110, bits: 3)
                timestampBits.write(UInt64(bitPattern: dod), bits: 17)
            } else if fits(dod, bits: 20) {
                timestampBits.write(0b1110, bits: 4)
                timestampBits.write(UInt64(bitPattern: dod), bits: 20)
            } else {
                timestampBits.write(0b1111, bits: 4)
                timestampBits.write(UInt64(bitPattern: dod), bits: 64)
            }
            let xor = valueBits ^ previousValue
            if xor == 0 {
                self.valueBits.writeBit(false)
            } else {
                var newLeading = xor.leadingZeroBitCount
                let newTrailing = xor.trailingZeroBitCount
                // Five bits hold at most 31.
                if newLeading >= 32 { newLeading = 31 }
                if leading != 0xFF, newLeading >= leading, newTrailing >= trailing {
                    self.valueBits.write(0b10, bits: 2)
                    self.valueBits.write(xor >> UInt64(trailing), bits: 64 - leading - trailing)
                } else {
                    leading = newLeading
                    trailing = newTrailing
                    let length = 64 - leading - trailing
                    self.valueBits.write(0b11, bits: 2)
                    self.valueBits.write(UInt64(leading), bits: 5)
                    self.valueBits.write(UInt64(length & 63), bits: 6)
                    self.valueBits.write(xor >> UInt64(trailing), bits: length)
                }
            }
        }
        previousValue = valueBits
        maxTime = time
        count += 1
    }

    /// Encoded size so far.
    public var byteCount: Int { timestampBits.bytes.count + valueBits.bytes.count }

    /// The samples so far as a chunk.
    public var chunk: XORChunk {
        XORChunk(bytes: timestampBits.bytes + valueBits.bytes, timestampByteCount: timestampBits.bytes.count,
                 count: count, minTime: minTime, maxTime: maxTime)
    }

    /// Decodes the samples so far, like `XORChunk.decode`, without concatenating the streams.
    public func decode(from start: Int64 = .min, through end: Int64 = .max,
                       into timestamps: inout [Int64], _ values: inout [Double]) throws {
        try timestampBits.bytes.withUnsafeBytes { times in
            try valueBits.bytes.withUnsafeBytes { bits in
                try XORChunk.decode(timestamps: times, values: bits, count: count, from: start, through: end,
                                    into: &timestamps, &values)
            }
        }
    }

    /// Whether `value` fits Prometheus's `bits`-wide bucket: -(2^(bits-1) - 1) ... 2^(bits-1).
    @inline(__always)
    private func fits(_ value: Int64, bits: Int) -> Bool {
        value >= -((1 << Int64(bits - 1)) - 1) && value <= 1 << Int64(bits - 1)
    }
}
