import Glibc
import Synchronization

/// The time alerting runs on, in milliseconds since the epoch. Injected so tests and
/// replay step through time without sleeping.
public protocol AlertingClock: Sendable {
    func nowMilliseconds() -> Int64
}

/// Wall-clock time (`CLOCK_REALTIME`).
public struct SystemAlertingClock: AlertingClock {
    public init() {}

    public func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told: for tests and for replay in event time.
public final class ManualAlertingClock: AlertingClock {
    private let now: Mutex<Int64>

    public init(milliseconds: Int64 = 0) { now = Mutex(milliseconds) }

    public func nowMilliseconds() -> Int64 { now.withLock { $0 } }

    public func set(_ milliseconds: Int64) { now.withLock { $0 = milliseconds } }

    public func advance(by milliseconds: Int64) { now.withLock { $0 += milliseconds } }
}
