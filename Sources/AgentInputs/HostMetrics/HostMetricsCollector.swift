import Glibc
import SluiceModel

/// The agent's host-metrics input: reads /proc (and statvfs for mounted filesystems) and
/// returns samples named and labelled as Prometheus node_exporter names them, so
/// existing PromQL and dashboards work unchanged. Synchronous; statvfs on a hung network
/// mount blocks, so call `collect()` off any event loop.
///
/// Copies share one `MonotonicCPUTimes`, which keeps CPU counters from going backwards
/// across collections; everything else is immutable configuration.
public struct HostMetricsCollector: Sendable {
    /// The collectors, by node_exporter's names (`--collector.<name>`).
    public enum Collector: String, CaseIterable, Sendable, Hashable {
        /// `node_cpu_seconds_total`, `node_cpu_guest_seconds_total` from /proc/stat.
        case cpu
        /// Boot time, context switches, interrupts, forks, running/blocked from /proc/stat.
        case stat
        case meminfo
        case loadavg
        case netdev
        case diskstats
        case filesystem
    }

    /// node_exporter's `--collector.filesystem.fs-types-exclude` default (Linux):
    /// pseudo and read-only image filesystems.
    public static let defaultFileSystemTypesExclude: ExcludePattern =
        "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$"
    /// node_exporter's `--collector.filesystem.mount-points-exclude` default.
    public static let defaultMountPointsExclude: ExcludePattern =
        "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
    /// node_exporter's `--collector.diskstats.device-exclude` default: RAM and loop
    /// devices, floppies, and partitions (whose I/O the whole disk already counts).
    public static let defaultDiskDevicesExclude: ExcludePattern =
        #"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"#

    /// USER_HZ, the unit of /proc/stat's CPU times (100 on every common Linux build).
    public static var systemClockTicksPerSecond: Double {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }

    public let procRoot: String
    /// Reserved for sysfs-backed collectors; none of the current ones read it.
    public let sysRoot: String
    /// Where the host's `/` is visible (node_exporter's `--path.rootfs`): statvfs goes to
    /// `rootFS + mountpoint`, and the prefix is stripped from `mountpoint` labels.
    public let rootFS: String
    public let collectors: Set<Collector>
    public let fileSystemTypesExclude: ExcludePattern?
    public let mountPointsExclude: ExcludePattern?
    public let diskDevicesExclude: ExcludePattern?
    /// nil by default: node_exporter reports every interface, `lo` included.
    public let networkDevicesExclude: ExcludePattern?
    public let clockTicksPerSecond: Double
    let statFileSystem: FileSystemUsage.Statter
    let cpuCounters = MonotonicCPUTimes()

    public init(
        procRoot: String = "/proc",
        sysRoot: String = "/sys",
        rootFS: String = "/",
        collectors: Set<Collector> = Set(Collector.allCases),
        fileSystemTypesExclude: ExcludePattern? = Self.defaultFileSystemTypesExclude,
        mountPointsExclude: ExcludePattern? = Self.defaultMountPointsExclude,
        diskDevicesExclude: ExcludePattern? = Self.defaultDiskDevicesExclude,
        networkDevicesExclude: ExcludePattern? = nil,
        clockTicksPerSecond: Double = Self.systemClockTicksPerSecond,
        statFileSystem: @escaping FileSystemUsage.Statter = FileSystemUsage.live
    ) {
        self.procRoot = procRoot
        self.sysRoot = sysRoot
        self.rootFS = rootFS
        self.collectors = collectors
        self.fileSystemTypesExclude = fileSystemTypesExclude
        self.mountPointsExclude = mountPointsExclude
        self.diskDevicesExclude = diskDevicesExclude
        self.networkDevicesExclude = networkDevicesExclude
        self.clockTicksPerSecond = clockTicksPerSecond
        self.statFileSystem = statFileSystem
    }

    /// One snapshot of every enabled collector. A collector whose file is missing or
    /// malformed is listed in `failures` and the others still report; throws only when
    /// every enabled collector failed (a wrong `procRoot`).
    public func collect() throws(InputError) -> HostMetricsSnapshot {
        var samples: [MetricSample] = []
        var failures: [HostMetricsSnapshot.Failure] = []

        func run(_ wanted: [Collector], _ body: () throws(ProcFileError) -> Void) {
            let enabled = wanted.filter(collectors.contains)
            guard !enabled.isEmpty else { return }
            do {
                try body()
            } catch {
                failures += enabled.map { HostMetricsSnapshot.Failure(collector: $0, error: error) }
            }
        }

        // One read of /proc/stat serves both collectors, so they agree with each other.
        run([.cpu, .stat]) { () throws(ProcFileError) in
            let stat = try read(ProcStat.self)
            if collectors.contains(.cpu) {
                let cpus = cpuCounters.clamp(stat.cpus, clockTicksPerSecond: clockTicksPerSecond)
                samples += Self.cpuSamples(cpus, clockTicksPerSecond: clockTicksPerSecond)
            }
            if collectors.contains(.stat) { samples += Self.statSamples(stat) }
        }
        run([.meminfo]) { () throws(ProcFileError) in samples += Self.memorySamples(try read(MemInfo.self)) }
        run([.loadavg]) { () throws(ProcFileError) in samples += Self.loadSamples(try read(LoadAverage.self)) }
        run([.netdev]) { () throws(ProcFileError) in
            let exclude = networkDevicesExclude?.compiled()
            let interfaces = try read(NetDevStats.self).interfaces.filter { interface in
                !(exclude.map { interface.name.contains($0) } ?? false)
            }
            samples += Self.networkSamples(interfaces)
        }
        run([.diskstats]) { () throws(ProcFileError) in
            let exclude = diskDevicesExclude?.compiled()
            let devices = try read(DiskStats.self).devices.filter { device in
                !(exclude.map { device.name.contains($0) } ?? false)
            }
            samples += Self.diskSamples(devices)
        }
        run([.filesystem]) { () throws(ProcFileError) in samples += fileSystemSamples(try readMounts()) }

        if !collectors.isEmpty, failures.count == collectors.count {
            throw InputError("host metrics: every collector failed under \(procRoot): "
                + failures.map(\.description).joined(separator: "; "))
        }
        return HostMetricsSnapshot(samples: samples, failures: failures)
    }

    private func read<File: ProcFile>(_ type: File.Type) throws(ProcFileError) -> File {
        let path = procRoot + "/" + File.relativePath
        return try File.parse(ProcFileReader.read(path), path: path)
    }

    /// PID 1's mounts are the host's when the agent shares its mount namespace; with
    /// `hidepid` or in some sandboxes they are unreadable, so fall back to our own.
    private func readMounts() throws(ProcFileError) -> MountInfo {
        let hostPath = procRoot + "/1/mountinfo"
        if let bytes = try? ProcFileReader.read(hostPath) { return try MountInfo.parse(bytes, path: hostPath) }
        return try read(MountInfo.self)
    }

    private func fileSystemSamples(_ info: MountInfo) -> [MetricSample] {
        let typesExclude = fileSystemTypesExclude?.compiled()
        let pointsExclude = mountPointsExclude?.compiled()
        var seen = Set<Labels>()
        var samples: [MetricSample] = []
        for mount in info.mounts {
            let mountPoint = strippingRootFS(mount.mountPoint)
            if let pointsExclude, mountPoint.contains(pointsExclude) { continue }
            if let typesExclude, mount.fsType.contains(typesExclude) { continue }
            // Bind mounts and overmounts repeat a filesystem: report it once.
            let labels: Labels = ["device": mount.source, "fstype": mount.fsType, "mountpoint": mountPoint]
            guard seen.insert(labels).inserted else { continue }
            let usage = Result { () throws(FileSystemUsage.StatError) in try statFileSystem(inRootFS(mountPoint)) }
            samples += Self.fileSystemSamples(mount, labels: labels, usage: usage)
        }
        return samples
    }

    private func inRootFS(_ mountPoint: String) -> String {
        guard rootFS != "/" else { return mountPoint }
        let prefix = rootFS.hasSuffix("/") ? String(rootFS.dropLast()) : rootFS
        return mountPoint == "/" ? prefix : prefix + mountPoint
    }

    private func strippingRootFS(_ mountPoint: String) -> String {
        guard rootFS != "/" else { return mountPoint }
        let prefix = rootFS.hasSuffix("/") ? String(rootFS.dropLast()) : rootFS
        guard mountPoint == prefix || mountPoint.hasPrefix(prefix + "/") else { return mountPoint }
        let stripped = mountPoint.dropFirst(prefix.count)
        return stripped.isEmpty ? "/" : String(stripped)
    }
}
