/// Bits written most significant first into bytes, as Gorilla's (and Prometheus's) chunk
/// streams are. The last byte may be partial: its unused low bits are zero, so `bytes` is a
/// valid stream prefix at any moment (the head's open chunk is read while it grows).
///
/// Thread-safety: a value type; copies are independent.
struct BitWriter: Sendable {
    private(set) var bytes: [UInt8] = []
    /// Bits free in the last byte (0 when it is full or there is none).
    private var free = 0

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var bitCount: Int { bytes.count * 8 - free }

    @inline(__always)
    mutating func writeBit(_ bit: Bool) {
        if free == 0 {
            bytes.append(0)
            free = 8
        }
        free -= 1
        if bit { bytes[bytes.count - 1] |= 1 << UInt8(free) }
    }

    /// Writes the low `count` bits of `value` (0...64), most significant first: the rest of
    /// the partial last byte, then whole bytes, then the head of a new partial byte. (The
    /// open chunk of every series goes through here once per sample; touching each byte
    /// once, rather than appending a zero and then or-ing into it, was ~10% of ingest.)
    @inline(__always)
    mutating func write(_ value: UInt64, bits count: Int) {
        guard count > 0 else { return }
        var remaining = count
        if free > 0 {
            let take = min(remaining, free)
            let piece = (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) &- 1)
            bytes[bytes.count - 1] |= UInt8(truncatingIfNeeded: piece << UInt64(free - take))
            remaining -= take
            free -= take
        }
        while remaining >= 8 {
            remaining -= 8
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(remaining)))
        }
        if remaining > 0 {
            // The low bits of the new last byte stay zero (a valid stream prefix).
            bytes.append(UInt8(truncatingIfNeeded: value << UInt64(8 - remaining)))
            free = 8 - remaining
        }
    }
}

/// Reads a `BitWriter` stream from a buffer. Reading past the end yields zero bits and sets
/// `overran` instead of trapping or throwing in the decoding loop; decoders check it once.
struct BitReader {
    let base: UnsafeRawPointer?
    let byteCount: Int
    /// Next bit to read.
    private(set) var position = 0
    private(set) var overran = false

    init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress
        byteCount = buffer.count
    }

    /// The next `count` bits (1...57) as the low bits of the result.
    @inline(__always)
    mutating func read(_ count: Int) -> UInt64 {
        let byte = position >> 3
        let shift = UInt64(position & 7)
        var word: UInt64
        if byte + 8 <= byteCount, let base {
            word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            word = slowWord(at: byte)
        }
        position += count
        if position > byteCount * 8 { overran = true }
        word <<= shift
        return word >> UInt64(64 - count)
    }

    @inline(__always)
    mutating func readBit() -> Bool { read(1) != 0 }

    /// The next `count` bits (0...64).
    @inline(__always)
    mutating func readWide(_ count: Int) -> UInt64 {
        if count == 0 { return 0 }
        if count <= 57 { return read(count) }
        let high = read(count - 32)
        return high << 32 | read(32)
    }

    /// The eight bytes at `byte` (missing ones as zero), big-endian.
    private func slowWord(at byte: Int) -> UInt64 {
        var word: UInt64 = 0
        for index in 0..<8 {
            word <<= 8
            if byte + index < byteCount, let base { word |= UInt64(base.load(fromByteOffset: byte + index, as: UInt8.self)) }
        }
        return word
    }
}
