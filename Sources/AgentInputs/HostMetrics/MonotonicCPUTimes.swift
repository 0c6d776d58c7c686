import Synchronization

/// Keeps each CPU's counters from going backwards between collections, as node_exporter
/// does: the kernel's per-CPU iowait (and idle on some NO_HZ kernels) can step back, and a
/// counter that decreases reads as a reset to `rate()`. An idle drop of 3 s or more means
/// the CPU was hot-plugged, so its history is dropped instead.
/// Thread-safe: one lock around the last values; shared by copies of the collector.
final class MonotonicCPUTimes: Sendable {
    private let last = Mutex<[Int: CPUTimes]>([:])

    static let hotplugIdleJumpSeconds = 3.0

    /// The per-CPU lines with every counter raised to at least its last reported value.
    func clamp(_ cpus: [CPUTimes], clockTicksPerSecond: Double) -> [CPUTimes] {
        last.withLock { last in
            var next: [Int: CPUTimes] = [:]
            let clamped = cpus.map { now -> CPUTimes in
                guard let cpu = now.cpu, var kept = last[cpu] else {
                    if let cpu = now.cpu { next[cpu] = now }
                    return now
                }
                if kept.idle > now.idle,
                   Double(kept.idle - now.idle) >= Self.hotplugIdleJumpSeconds * clockTicksPerSecond {
                    kept = now
                }
                kept.user = max(kept.user, now.user)
                kept.nice = max(kept.nice, now.nice)
                kept.system = max(kept.system, now.system)
                kept.idle = max(kept.idle, now.idle)
                kept.iowait = max(kept.iowait, now.iowait)
                kept.irq = max(kept.irq, now.irq)
                kept.softirq = max(kept.softirq, now.softirq)
                kept.steal = max(kept.steal, now.steal)
                kept.guest = max(kept.guest, now.guest)
                kept.guestNice = max(kept.guestNice, now.guestNice)
                next[cpu] = kept
                return kept
            }
            // CPUs that went offline are forgotten, as node_exporter does.
            last = next
            return clamped
        }
    }
}
