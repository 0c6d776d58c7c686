/// One `cpu` line of /proc/stat in clock ticks (USER_HZ). Guest time is already counted
/// in `user` and `nice` by the kernel, which is why node_exporter reports it separately
/// instead of adding it.
public struct CPUTimes: Sendable, Equatable {
    /// The CPU number, or nil for the aggregate `cpu` line.
    public var cpu: Int?
    public var user: UInt64
    public var nice: UInt64
    public var system: UInt64
    public var idle: UInt64
    public var iowait: UInt64
    public var irq: UInt64
    public var softirq: UInt64
    public var steal: UInt64
    public var guest: UInt64
    public var guestNice: UInt64

    public init(
        cpu: Int?, user: UInt64, nice: UInt64, system: UInt64, idle: UInt64, iowait: UInt64 = 0,
        irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0, guest: UInt64 = 0, guestNice: UInt64 = 0
    ) {
        self.cpu = cpu
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
        self.guest = guest
        self.guestNice = guestNice
    }

    /// The node_exporter `mode` label values with their ticks, in /proc/stat's order.
    public var modes: [(mode: String, ticks: UInt64)] {
        [("user", user), ("nice", nice), ("system", system), ("idle", idle), ("iowait", iowait),
         ("irq", irq), ("softirq", softirq), ("steal", steal)]
    }
}
