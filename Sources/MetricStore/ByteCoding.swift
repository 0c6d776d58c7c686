// LEB128 varints, zig-zag and little-endian fixed ints: the integer encodings of block files.

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendVarint(_ value: Int) { appendVarint(UInt64(bitPattern: Int64(value))) }

    @inline(__always)
    mutating func appendZigZag(_ value: Int64) { appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Length-prefixed UTF-8.
    mutating func appendString(_ text: String) {
        appendVarint(text.utf8.count)
        append(contentsOf: text.utf8)
    }
}

/// Reads the encodings above from a buffer, throwing `MetricStoreError.corrupt` on any
/// overrun or overlong value instead of trusting lengths found in a file.
struct FieldReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let path: String

    init(_ bytes: UnsafeRawBufferPointer, path: String, position: Int = 0) {
        self.bytes = bytes
        self.position = position
        self.path = path
    }

    var isAtEnd: Bool { position >= bytes.count }

    func corrupt(_ reason: String) -> MetricStoreError { .corrupt(path: path, reason: reason) }

    @inline(__always)
    mutating func varint() throws -> UInt64 {
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
    mutating func count(limit: Int = Int(Int32.max)) throws -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else { throw corrupt("count \(value) exceeds \(limit) at byte \(position)") }
        return Int(value)
    }

    mutating func zigZag() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func littleEndian<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard bytes.count - position >= MemoryLayout<T>.size else { throw corrupt("short read at byte \(position)") }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return value
    }

    mutating func string() throws -> String {
        let length = try count(limit: bytes.count - position)
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)]), as: UTF8.self)
        position += length
        return text
    }
}
