// Kafka's primitive types, for the request/response codecs. Classic (non-flexible) types
// use int16/int32 length prefixes; flexible ("compact") ones use uvarint(N + 1) with 0 for
// null, and every flexible struct ends with a tagged-field section.

extension ByteReader {
    public mutating func readInt16() throws -> Int16 { try readBigEndian(Int16.self) }
    public mutating func readInt32() throws -> Int32 { try readBigEndian(Int32.self) }
    public mutating func readInt64() throws -> Int64 { try readBigEndian(Int64.self) }

    public mutating func readBool() throws -> Bool { try readInt8() != 0 }

    /// int16 length + UTF-8; length −1 is null.
    public mutating func readNullableString() throws -> String? {
        let start = position
        let length = try readInt16()
        if length == -1 { return nil }
        guard length >= 0 else { throw WireError("negative string length \(length)", at: start) }
        return String(decoding: try readBytes(Int(length)), as: UTF8.self)
    }

    public mutating func readString() throws -> String {
        let start = position
        guard let value = try readNullableString() else { throw WireError("null where a string is required", at: start) }
        return value
    }

    /// int32 length + bytes; length −1 is null.
    public mutating func readNullableBytes() throws -> [UInt8]? {
        let start = position
        let length = try readInt32()
        if length == -1 { return nil }
        guard length >= 0 else { throw WireError("negative bytes length \(length)", at: start) }
        return try readBytes(Int(length))
    }

    /// An int32 array count; −1 is null. A count that the remaining bytes cannot hold (each
    /// element takes at least `minimumElementSize` bytes) is refused before anything is allocated.
    public mutating func readArrayCount(minimumElementSize: Int = 1) throws -> Int? {
        let start = position
        let count = try readInt32()
        if count == -1 { return nil }
        guard count >= 0, Int(count) * minimumElementSize <= remaining else {
            throw WireError("array count \(count) does not fit in \(remaining) bytes", at: start)
        }
        return Int(count)
    }

    /// Reads an array of `T` (a null array reads as empty).
    public mutating func readArray<T>(minimumElementSize: Int = 1, _ element: (inout ByteReader) throws -> T) throws -> [T] {
        guard let count = try readArrayCount(minimumElementSize: minimumElementSize) else { return [] }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    // MARK: Flexible (compact) types

    public mutating func readCompactNullableString() throws -> String? {
        let start = position
        let lengthPlusOne = try readUnsignedVarint(maxBytes: 5)
        if lengthPlusOne == 0 { return nil }
        guard lengthPlusOne - 1 <= UInt64(remaining) else { throw WireError("compact string longer than the request", at: start) }
        return String(decoding: try readBytes(Int(lengthPlusOne - 1)), as: UTF8.self)
    }

    public mutating func readCompactString() throws -> String {
        let start = position
        guard let value = try readCompactNullableString() else { throw WireError("null where a string is required", at: start) }
        return value
    }

    public mutating func readCompactArrayCount() throws -> Int? {
        let start = position
        let countPlusOne = try readUnsignedVarint(maxBytes: 5)
        if countPlusOne == 0 { return nil }
        guard countPlusOne - 1 <= UInt64(remaining) else { throw WireError("compact array count does not fit", at: start) }
        return Int(countPlusOne - 1)
    }

    /// Skips a tagged-field section (no tags are understood yet).
    public mutating func skipTaggedFields() throws {
        let count = try readUnsignedVarint(maxBytes: 5)
        guard count <= UInt64(remaining) else { throw WireError("tagged field count does not fit", at: position) }
        for _ in 0..<count {
            _ = try readUnsignedVarint(maxBytes: 5)
            let size = try readUnsignedVarint(maxBytes: 5)
            guard size <= UInt64(remaining) else { throw WireError("tagged field longer than the request", at: position) }
            try skip(Int(size))
        }
    }
}

extension Array where Element == UInt8 {
    public mutating func appendInt8(_ value: Int8) { append(UInt8(bitPattern: value)) }
    public mutating func appendInt16(_ value: Int16) { appendBigEndian(value) }
    public mutating func appendInt32(_ value: Int32) { appendBigEndian(value) }
    public mutating func appendInt64(_ value: Int64) { appendBigEndian(value) }
    public mutating func appendBool(_ value: Bool) { append(value ? 1 : 0) }

    public mutating func appendString(_ value: String?) {
        guard let value else { return appendInt16(-1) }
        let utf8 = Array(value.utf8)
        appendInt16(Int16(clamping: utf8.count))
        append(contentsOf: utf8.prefix(Int(Int16.max)))
    }

    public mutating func appendNullableBytes(_ value: [UInt8]?) {
        guard let value else { return appendInt32(-1) }
        appendInt32(Int32(value.count))
        append(contentsOf: value)
    }

    /// An int32 array: the count, then each element.
    public mutating func appendArray<T>(_ elements: [T], _ element: (inout [UInt8], T) -> Void) {
        appendInt32(Int32(elements.count))
        for value in elements { element(&self, value) }
    }

    public mutating func appendCompactString(_ value: String?) {
        guard let value else { return appendUnsignedVarint(0) }
        let utf8 = Array(value.utf8)
        appendUnsignedVarint(UInt64(utf8.count + 1))
        append(contentsOf: utf8)
    }

    public mutating func appendCompactArray<T>(_ elements: [T], _ element: (inout [UInt8], T) -> Void) {
        appendUnsignedVarint(UInt64(elements.count + 1))
        for value in elements { element(&self, value) }
    }

    /// An empty tagged-field section.
    public mutating func appendEmptyTaggedFields() { append(0) }
}

/// A topic name with its per-partition entries: the shape of most Kafka requests and
/// responses (each message names its own `Partition` type).
public struct TopicEntries<Partition: Sendable & Equatable>: Sendable, Equatable {
    public var name: String
    public var partitions: [Partition]

    public init(name: String, partitions: [Partition]) {
        self.name = name
        self.partitions = partitions
    }
}
