import CommitLog
import SluiceModel
import Synchronization
import TestSupport
@testable import MetricStore

/// A clock the tests move by hand.
final class TestClock: Sendable {
    let nanoseconds: Mutex<Int64>

    init(milliseconds: Int64 = 1_800_000_000_000) { nanoseconds = Mutex(milliseconds * 1_000_000) }

    func advance(milliseconds: Int64) { nanoseconds.withLock { $0 += milliseconds * 1_000_000 } }

    var now: @Sendable () -> Timestamp { { [self] in Timestamp(nanosecondsSinceEpoch: nanoseconds.withLock { $0 }) } }
}

func openStore(_ directory: TemporaryDirectory, clock: TestClock = TestClock(),
               configure: (inout MetricStoreConfiguration) -> Void = { _ in }) throws -> MetricStore {
    var configuration = MetricStoreConfiguration(directory: directory.sub("metrics"))
    configure(&configuration)
    return try MetricStore(configuration: configuration, now: clock.now)
}

func series(_ name: String, _ labels: [String: String] = [:], _ samples: [(Int64, Double)]) -> MetricSeriesSamples {
    var set = Labels(labels)
    set["__name__"] = name
    return MetricSeriesSamples(labels: set, timestamps: samples.map(\.0), values: samples.map(\.1))
}

func matcher(_ name: String, _ op: LabelMatcher.Operator, _ value: String) -> LabelMatcher {
    // Test matchers are literals that compile.
    try! LabelMatcher(name: name, op: op, value: value)
}

/// Node-exporter-like samples for `hosts` hosts every 10 s with a few ms of jitter, as an
/// agent sends them: CPU seconds in hundredths, byte counters, memory gauges in pages,
/// load averages, and constant filesystem sizes.
struct AgentLikeData {
    var random: SplitMix64
    let hosts: Int
    var values: [Double] = []
    var labels: [Labels] = []
    var kinds: [Int] = []

    init(hosts: Int, seed: UInt64 = 42) {
        random = SplitMix64(seed: seed)
        self.hosts = hosts
        for host in 0..<hosts {
            func add(_ name: String, _ extra: [String: String], kind: Int, start: Double) {
                var set = Labels(extra)
                set["__name__"] = name
                set["host"] = "host-\(host)"
                labels.append(set)
                kinds.append(kind)
                values.append(start)
            }
            for cpu in 0..<8 {
                for mode in ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"] {
                    add("node_cpu_seconds_total", ["cpu": "\(cpu)", "mode": mode], kind: mode == "idle" ? 0 : (mode == "user" || mode == "system" ? 1 : 2), start: Double(Int.random(in: 1000...900_000, using: &random)) / 100)
                }
            }
            for device in ["eth0", "eth1", "lo"] {
                for direction in ["receive", "transmit"] {
                    for unit in ["bytes", "packets", "errs", "drop"] {
                        add("node_network_\(direction)_\(unit)_total", ["device": device], kind: unit == "bytes" ? 3 : (unit == "packets" ? 4 : 5), start: Double(Int.random(in: 0...1_000_000_000, using: &random)))
                    }
                }
            }
            for field in ["MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapTotal", "SwapFree", "Active", "Inactive", "Dirty"] {
                add("node_memory_\(field)_bytes", [:], kind: field.hasSuffix("Total") ? 5 : 6, start: Double(Int.random(in: 100_000...4_000_000, using: &random) * 4096))
            }
            for load in ["node_load1", "node_load5", "node_load15"] { add(load, [:], kind: 7, start: 0.5) }
            for mount in ["/", "/boot", "/var", "/home"] {
                for metric in ["size", "free", "avail"] {
                    add("node_filesystem_\(metric)_bytes", ["mountpoint": mount, "device": "/dev/sda\(mount.count)", "fstype": "ext4"],
                        kind: metric == "size" ? 5 : 6, start: Double(Int.random(in: 1_000_000...100_000_000, using: &random) * 4096))
                }
            }
            for disk in ["sda", "sdb"] {
                for metric in ["reads_completed_total", "writes_completed_total", "read_bytes_total", "written_bytes_total", "io_time_seconds_total"] {
                    add("node_disk_\(metric)", ["device": disk], kind: metric.hasPrefix("io_time") ? 1 : 4, start: 1000)
                }
            }
        }
    }

    var seriesCount: Int { labels.count }

    /// One scrape: the next value of every series.
    mutating func next() -> [Double] {
        for index in values.indices {
            var value = values[index]
            switch kinds[index] {
            case 0: value += Double(Int.random(in: 950...1000, using: &random)) / 100
            case 1: value += Double(Int.random(in: 0...60, using: &random)) / 100
            case 2: value += Int.random(in: 0..<10, using: &random) == 0 ? 0.01 : 0
            case 3: value += Double(Int.random(in: 1000...2_000_000, using: &random))
            case 4: value += Double(Int.random(in: 10...3000, using: &random))
            case 5: break
            case 6: value += Double(Int.random(in: -200...200, using: &random) * 4096)
            default: value = Double(Int.random(in: 0...400, using: &random)) / 100
            }
            values[index] = value
        }
        return values
    }
}
