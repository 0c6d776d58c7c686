import KafkaWire

/// Sparse map from offsets to byte positions within one segment.
///
/// Byte layout of a `.index` file: consecutive 8-byte entries, big-endian,
/// `relative offset: UInt32` (batch base offset − segment base offset) then
/// `position: UInt32` (byte position of that batch in the `.log` file). Both strictly
/// increase. An entry is written about every `indexIntervalBytes` of log, so a lookup
/// lands at most that far before the batch it wants.
///
/// Not thread-safe: a value owned by its segment and used under the partition lock.
struct OffsetIndex: Equatable {
    static let entrySize = 8

    private(set) var relativeOffsets: [UInt32] = []
    private(set) var positions: [UInt32] = []

    var count: Int { positions.count }

    mutating func append(relativeOffset: UInt32, position: UInt32) {
        relativeOffsets.append(relativeOffset)
        positions.append(position)
    }

    /// Position of the last indexed batch whose base offset is ≤ `relativeOffset`, or 0.
    func floorPosition(for relativeOffset: UInt32) -> Int {
        let after = relativeOffsets.partitioningIndex { $0 > relativeOffset }
        return after == 0 ? 0 : Int(positions[after - 1])
    }

    func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * Self.entrySize)
        for index in 0..<count {
            bytes.appendBigEndian(relativeOffsets[index])
            bytes.appendBigEndian(positions[index])
        }
        return bytes
    }

    /// Decodes an index file, or nil when it is damaged: a partial entry, entries not
    /// strictly increasing, or entries pointing past the segment.
    init?(serialized bytes: [UInt8], segmentSize: Int, maxRelativeOffset: UInt32) {
        guard bytes.count % Self.entrySize == 0 else { return nil }
        var previous: (UInt32, UInt32)?
        for start in stride(from: 0, to: bytes.count, by: Self.entrySize) {
            let relative = bytes.bigEndianValue(UInt32.self, at: start)
            let position = bytes.bigEndianValue(UInt32.self, at: start + 4)
            if let previous, relative <= previous.0 || position <= previous.1 { return nil }
            guard relative <= maxRelativeOffset, Int(position) < segmentSize else { return nil }
            append(relativeOffset: relative, position: position)
            previous = (relative, position)
        }
    }

    init() {}
}

/// Sparse map from timestamps to offsets within one segment.
///
/// Byte layout of a `.timeindex` file: consecutive 12-byte entries, big-endian,
/// `timestamp: Int64` (the largest record timestamp in the segment up to this point) then
/// `relative offset: UInt32` (base offset of the batch holding that timestamp, minus the
/// segment base). Timestamps strictly increase; offsets never decrease. A sealed segment's
/// last entry holds its largest timestamp, which retention by age reads.
///
/// Not thread-safe: a value owned by its segment and used under the partition lock.
struct TimeIndex: Equatable {
    static let entrySize = 12

    private(set) var timestamps: [Int64] = []
    private(set) var relativeOffsets: [UInt32] = []

    var count: Int { timestamps.count }
    var lastTimestamp: Int64? { timestamps.last }

    mutating func append(timestamp: Int64, relativeOffset: UInt32) {
        if let last = timestamps.last, timestamp <= last { return }
        timestamps.append(timestamp)
        relativeOffsets.append(relativeOffset)
    }

    /// Relative offset of the last entry whose timestamp is < `timestamp`: every record
    /// before that offset is older than `timestamp`. 0 when there is none.
    func floorRelativeOffset(before timestamp: Int64) -> UInt32 {
        let after = timestamps.partitioningIndex { $0 >= timestamp }
        return after == 0 ? 0 : relativeOffsets[after - 1]
    }

    func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * Self.entrySize)
        for index in 0..<count {
            bytes.appendBigEndian(timestamps[index])
            bytes.appendBigEndian(relativeOffsets[index])
        }
        return bytes
    }

    /// Decodes a time index file, or nil when it is damaged.
    init?(serialized bytes: [UInt8], maxRelativeOffset: UInt32) {
        guard bytes.count % Self.entrySize == 0 else { return nil }
        for start in stride(from: 0, to: bytes.count, by: Self.entrySize) {
            let timestamp = bytes.bigEndianValue(Int64.self, at: start)
            let relative = bytes.bigEndianValue(UInt32.self, at: start + 8)
            if let last = timestamps.last, timestamp <= last || relative < relativeOffsets.last! { return nil }
            guard relative <= maxRelativeOffset else { return nil }
            timestamps.append(timestamp)
            relativeOffsets.append(relative)
        }
    }

    init() {}
}

extension Array where Element == UInt8 {
    func bigEndianValue<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
