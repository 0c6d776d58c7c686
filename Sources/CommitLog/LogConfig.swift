/// Settings of one partition log. Durations in milliseconds; −1 disables a limit.
public struct LogConfig: Sendable, Equatable {
    /// Roll to a new segment before the active one would exceed this size. At most 2 GiB,
    /// since index positions are 32-bit.
    public var segmentBytes: Int = 1 << 30
    /// Roll a non-empty active segment once its first append is this old (default 7 days).
    public var segmentMilliseconds: Int64 = 7 * 24 * 3_600_000
    /// Delete sealed segments whose newest record is older than this (default 7 days).
    public var retentionMilliseconds: Int64 = 7 * 24 * 3_600_000
    /// Delete the oldest sealed segments while the log would still hold at least this many bytes.
    public var retentionBytes: Int64 = -1
    /// Bytes of log between two sparse index entries.
    public var indexIntervalBytes: Int = 4096

    public init(
        segmentBytes: Int = 1 << 30, segmentMilliseconds: Int64 = 7 * 24 * 3_600_000,
        retentionMilliseconds: Int64 = 7 * 24 * 3_600_000, retentionBytes: Int64 = -1,
        indexIntervalBytes: Int = 4096
    ) {
        self.segmentBytes = min(segmentBytes, Int(Int32.max))
        self.segmentMilliseconds = segmentMilliseconds
        self.retentionMilliseconds = retentionMilliseconds
        self.retentionBytes = retentionBytes
        self.indexIntervalBytes = indexIntervalBytes
    }
}

/// The wall clock, injectable so that tests can roll and expire segments deterministically.
public struct LogClock: Sendable {
    /// Milliseconds since the Unix epoch.
    public let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) { self.now = now }

    public static let system = LogClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
