// LEB128 varints, zig-zag and little-endian fixed ints, length-prefixed strings: the
// integer and string encodings of the log store's part files and the metric store's
// block files (their layouts are documented where they are written).

extension Array where Element == UInt8 {
    @inlinable
    public mutating func appendStoredVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    public mutating func appendStoredVarint(_ value: Int) { appendStoredVarint(UInt64(bitPattern: Int64(value))) }

    @inlinable
    public mutating func appendStoredZigZag(_ value: Int64) { appendStoredVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    @inlinable
    public mutating func appendStoredLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Length-prefixed UTF-8.
    @inlinable
    public mutating func appendStoredString(_ text: String) {
        appendStoredVarint(text.utf8.count)
        append(contentsOf: text.utf8)
    }
}

@inlinable
public func zigZagDecode(_ raw: UInt64) -> Int64 { Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1) }

/// Reads the encodings above from a buffer, throwing the store's own corruption error
/// (`failure`) on any overrun or overlong value instead of trusting lengths found in a file.
public struct StoredFieldReader<Failure: Error> {
    public let bytes: UnsafeRawBufferPointer
    public var position: Int
    @usableFromInline let failure: (String) -> Failure

    public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0, failure: @escaping (String) -> Failure) {
        self.bytes = bytes
        self.position = position
        self.failure = failure
    }

    public var isAtEnd: Bool { position >= bytes.count }

    @inlinable
    public func corrupt(_ reason: String) -> Failure { failure(reason) }

    @inlinable
    public mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { break }
        }
        throw corrupt("bad varint at byte \(position)")
    }

    /// A varint that must fit `0...limit` (counts and lengths).
    @inlinable
    public mutating func count(limit: Int = Int(Int32.max)) throws -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else { throw corrupt("count \(value) exceeds \(limit) at byte \(position)") }
        return Int(value)
    }

    @inlinable
    public mutating func zigZag() throws -> Int64 { zigZagDecode(try varint()) }

    @inlinable
    public mutating func littleEndian<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard bytes.count - position >= MemoryLayout<T>.size else { throw corrupt("short read at byte \(position)") }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return value
    }

    @inlinable
    public mutating func raw(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - position >= count else { throw corrupt("short read of \(count) at byte \(position)") }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// Length-prefixed UTF-8 (invalid bytes replaced).
    @inlinable
    public mutating func string() throws -> String {
        String(decoding: try raw(try count(limit: bytes.count - position)), as: UTF8.self)
    }
}
