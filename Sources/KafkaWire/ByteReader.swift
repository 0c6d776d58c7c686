/// Reads big-endian integers and Kafka varints from a borrowed buffer, checking bounds.
///
/// Not thread-safe; a value type that lives only for one parse.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    /// Offset of the next byte to read.
    public private(set) var position: Int

    public init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    public var remaining: Int { buffer.count - position }

    @inlinable
    mutating func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, remaining >= count else {
            throw WireError("truncated \(what()): need \(count) bytes, have \(remaining)", at: position)
        }
    }

    public mutating func readInt8() throws -> Int8 {
        try require(1, "int8")
        defer { position += 1 }
        return Int8(bitPattern: buffer[position])
    }

    public mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try require(MemoryLayout<T>.size, "\(T.self)")
        defer { position += MemoryLayout<T>.size }
        return T(bigEndian: buffer.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// An unsigned LEB128 varint of at most `maxBytes` bytes.
    public mutating func readUnsignedVarint(maxBytes: Int = 10) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else { throw WireError("truncated varint", at: start) }
            let byte = buffer[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            guard position - start < maxBytes else { throw WireError("varint longer than \(maxBytes) bytes", at: start) }
        }
    }

    /// A zigzag-encoded signed varint (Kafka `varint`, 32 bits).
    public mutating func readVarint() throws -> Int32 {
        let start = position
        let raw = try readUnsignedVarint(maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw WireError("varint overflows 32 bits", at: start) }
        return Int32(truncatingIfNeeded: ZigZag.decode(raw))
    }

    /// A zigzag-encoded signed varint (Kafka `varlong`, 64 bits).
    public mutating func readVarlong() throws -> Int64 {
        ZigZag.decode(try readUnsignedVarint(maxBytes: 10))
    }

    /// `count` bytes, copied out.
    public mutating func readBytes(_ count: Int) throws -> [UInt8] {
        try require(count, "bytes")
        defer { position += count }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[position..<position + count]))
    }

    /// Bytes prefixed by a zigzag varint length; length −1 means null.
    public mutating func readVarintPrefixedBytes() throws -> [UInt8]? {
        let start = position
        let length = try readVarint()
        if length == -1 { return nil }
        guard length >= 0 else { throw WireError("negative length \(length)", at: start) }
        return try readBytes(Int(length))
    }

    public mutating func skip(_ count: Int) throws {
        try require(count, "skipped bytes")
        position += count
    }
}

/// Zigzag mapping of signed to unsigned integers, as Kafka's varints use.
public enum ZigZag {
    @inlinable public static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inlinable public static func decode(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in big-endian byte order.
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// Appends an unsigned LEB128 varint.
    public mutating func appendUnsignedVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(rest))
    }

    /// Appends a zigzag varint (Kafka `varint` and `varlong` share the encoding).
    public mutating func appendVarint(_ value: Int64) {
        appendUnsignedVarint(ZigZag.encode(value))
    }

    /// Appends bytes prefixed by their zigzag varint length, or −1 for nil.
    public mutating func appendVarintPrefixedBytes(_ bytes: [UInt8]?) {
        guard let bytes else { return appendVarint(-1) }
        appendVarint(Int64(bytes.count))
        append(contentsOf: bytes)
    }

    /// Overwrites `value` big-endian at `offset`.
    public mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self) }
    }
}
