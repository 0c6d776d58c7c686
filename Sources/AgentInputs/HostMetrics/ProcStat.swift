/// /proc/stat: per-CPU time and the kernel's system-wide counters. Lines this parser does
/// not use (`page`, `swap`, `softirq`) are skipped; a line it uses must be well formed.
public struct ProcStat: ProcFile, Equatable {
    public static let relativePath = "stat"

    /// The aggregate `cpu` line.
    public var total: CPUTimes?
    /// `cpu0`, `cpu1`, … in file order (offline CPUs have no line).
    public var cpus: [CPUTimes] = []
    /// `btime`: boot time, seconds since the epoch.
    public var bootTime: UInt64?
    /// `ctxt`
    public var contextSwitches: UInt64?
    /// The first number of `intr`: all interrupts serviced.
    public var interrupts: UInt64?
    /// `processes`: forks since boot.
    public var forks: UInt64?
    public var procsRunning: UInt64?
    public var procsBlocked: UInt64?

    public init() {}

    public static func parse(_ bytes: [UInt8], path: String) throws(ProcFileError) -> ProcStat {
        var stat = ProcStat()
        for (number, text) in ProcText.lines(bytes) {
            let fields = ProcText.fields(text)
            guard let key = fields.first else { continue }
            func error(_ reason: String) -> ProcFileError { ProcFileError(path: path, line: number, reason: reason) }
            func value() throws(ProcFileError) -> UInt64 {
                guard fields.count >= 2, let value = ProcText.uint64(fields[1]) else {
                    throw error("expected a number after \(ProcText.string(key))")
                }
                return value
            }
            if key.starts(with: "cpu".utf8) {
                let suffix = key.dropFirst(3)
                var cpu: Int?
                if !suffix.isEmpty {
                    guard let index = ProcText.uint64(suffix), index <= UInt64(Int32.max) else {
                        throw error("bad CPU name \(ProcText.string(key))")
                    }
                    cpu = Int(index)
                }
                // user nice system idle are there since Linux 2.6; the rest came later.
                guard fields.count >= 5 else { throw error("expected at least 4 CPU times, found \(fields.count - 1)") }
                var ticks: [UInt64] = []
                for field in fields.dropFirst() {
                    guard let value = ProcText.uint64(field) else {
                        throw error("CPU time \(ProcText.string(field)) is not a number")
                    }
                    ticks.append(value)
                }
                ticks += Array(repeating: 0, count: max(0, 10 - ticks.count))
                let times = CPUTimes(
                    cpu: cpu, user: ticks[0], nice: ticks[1], system: ticks[2], idle: ticks[3],
                    iowait: ticks[4], irq: ticks[5], softirq: ticks[6], steal: ticks[7],
                    guest: ticks[8], guestNice: ticks[9])
                if cpu == nil { stat.total = times } else { stat.cpus.append(times) }
                continue
            }
            switch ProcText.string(key) {
            case "btime": stat.bootTime = try value()
            case "ctxt": stat.contextSwitches = try value()
            case "intr": stat.interrupts = try value()
            case "processes": stat.forks = try value()
            case "procs_running": stat.procsRunning = try value()
            case "procs_blocked": stat.procsBlocked = try value()
            default: continue
            }
        }
        guard stat.total != nil || !stat.cpus.isEmpty else {
            throw ProcFileError(path: path, line: 0, reason: "no cpu lines")
        }
        return stat
    }
}
