import AgentInputs
import Foundation
import SluiceModel
import TestSupport
import Testing

/// The collector over a fake proc root (exact samples, failures per collector, CPU
/// counters that never go back) and over this machine's real /proc.
@Suite struct HostMetricsCollectorTests {
    // MARK: Fake proc root

    static let stat = """
        cpu  300 6 90 1200 30 0 12 3 20 2
        cpu0 100 2 30 400 10 0 4 1 10 1
        cpu1 200 4 60 800 20 0 8 2 10 1
        intr 1000 1 2 3
        ctxt 5000
        btime 1767225600
        processes 700
        procs_running 2
        procs_blocked 1
        softirq 10 1 2 3 4 5 6 7 8 9 10

        """

    static let meminfo = """
        MemTotal:           1000 kB
        Active(anon):         10 kB
        HugePages_Total:       4

        """

    static let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
          eth0:    1000      10    1    2    3     4          5         6     2000      20    7    8    9    10      11         12

        """

    static let diskStats = """
           8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
           8       1 sda1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
           7       0 loop0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
         259       0 nvme0n1 100 0 2000 1500 300 0 4000 2500 0 3000 4000

        """

    static let mountInfo = """
        22 27 0:21 / /proc rw,relatime - proc proc rw
        27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro
        28 27 0:25 / /run/user/1000 rw,nosuid - tmpfs tmpfs rw,size=1024k
        29 27 0:26 / /var/lib/docker/overlay2/abc rw - ext4 /dev/vdb rw
        30 27 7:0 / /snap/core ro - squashfs /dev/loop0 ro
        31 27 254:0 / / rw,relatime - ext4 /dev/vda rw
        32 27 8:17 / /mnt/usb\\040key ro,relatime - vfat /dev/sdb1 rw

        """

    /// Fixed statvfs answers; any other path fails as statvfs would on a dead mount.
    static let fakeStatter: FileSystemUsage.Statter = { path throws(FileSystemUsage.StatError) in
        switch path {
        case "/": FileSystemUsage(sizeBytes: 10_000, freeBytes: 4_000, availableBytes: 3_000, files: 100, filesFree: 60)
        case "/mnt/usb key": FileSystemUsage(sizeBytes: 500, freeBytes: 0, availableBytes: 0, files: 0, filesFree: 0)
        default: throw FileSystemUsage.StatError("Permission denied")
        }
    }

    /// A proc root holding every fixture file (PID 1's mountinfo included).
    private func fakeProc(_ name: String = #function) throws -> TemporaryDirectory {
        let root = TemporaryDirectory(name)
        try write(Self.stat, to: root.sub("stat"))
        try write(Self.meminfo, to: root.sub("meminfo"))
        try write("0.25 0.50 1.00 1/100 42\n", to: root.sub("loadavg"))
        try write(Self.netDev, to: root.sub("net/dev"))
        try write(Self.diskStats, to: root.sub("diskstats"))
        try write(Self.mountInfo, to: root.sub("1/mountinfo"))
        return root
    }

    private func collector(_ root: TemporaryDirectory, rootFS: String = "/") -> HostMetricsCollector {
        HostMetricsCollector(procRoot: root.path, rootFS: rootFS, clockTicksPerSecond: 100, statFileSystem: Self.fakeStatter)
    }

    @Test func fakeProcRootGivesExactSamples() throws {
        let root = try fakeProc()
        let snapshot = try collector(root).collect()
        #expect(snapshot.failures == [])

        var expected: [MetricSample] = []
        func add(_ name: String, _ labels: Labels, _ value: Double) {
            expected.append(MetricSample(name: name, labels: labels, value: value))
        }
        // cpu: ticks / 100; guest reported apart and still inside user and nice.
        for (cpu, values, guest) in [("0", [1.0, 0.02, 0.3, 4.0, 0.1, 0, 0.04, 0.01], [0.1, 0.01]),
                                     ("1", [2.0, 0.04, 0.6, 8.0, 0.2, 0, 0.08, 0.02], [0.1, 0.01])] {
            for (mode, value) in zip(["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"], values) {
                add("node_cpu_seconds_total", ["cpu": cpu, "mode": mode], value)
            }
            add("node_cpu_guest_seconds_total", ["cpu": cpu, "mode": "user"], guest[0])
            add("node_cpu_guest_seconds_total", ["cpu": cpu, "mode": "nice"], guest[1])
        }
        // stat
        add("node_intr_total", [:], 1000)
        add("node_context_switches_total", [:], 5000)
        add("node_forks_total", [:], 700)
        add("node_boot_time_seconds", [:], 1767225600)
        add("node_procs_running", [:], 2)
        add("node_procs_blocked", [:], 1)
        // meminfo
        add("node_memory_MemTotal_bytes", [:], 1_024_000)
        add("node_memory_Active_anon_bytes", [:], 10_240)
        add("node_memory_HugePages_Total", [:], 4)
        // loadavg
        add("node_load1", [:], 0.25)
        add("node_load5", [:], 0.5)
        add("node_load15", [:], 1)
        // netdev: lo is kept, as node_exporter keeps it.
        let columns = ["receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo",
                       "receive_frame", "receive_compressed", "receive_multicast", "transmit_bytes",
                       "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls",
                       "transmit_carrier", "transmit_compressed"]
        for (device, values) in [("lo", [100.0, 1, 0, 0, 0, 0, 0, 0, 100, 1, 0, 0, 0, 0, 0, 0]),
                                 ("eth0", [1000.0, 10, 1, 2, 3, 4, 5, 6, 2000, 20, 7, 8, 9, 10, 11, 12])] {
            for (column, value) in zip(columns, values) {
                add("node_network_\(column)_total", ["device": device], value)
            }
        }
        // diskstats: sda1 (a partition) and loop0 are excluded by default.
        for (name, value) in [
            ("reads_completed_total", 1.0), ("reads_merged_total", 2), ("read_bytes_total", 3 * 512),
            ("read_time_seconds_total", 0.004), ("writes_completed_total", 5), ("writes_merged_total", 6),
            ("written_bytes_total", 7 * 512), ("write_time_seconds_total", 0.008), ("io_now", 9),
            ("io_time_seconds_total", 0.01), ("io_time_weighted_seconds_total", 0.011),
            ("discards_completed_total", 12), ("discards_merged_total", 13), ("discarded_sectors_total", 14),
            ("discard_time_seconds_total", 0.015), ("flush_requests_total", 16),
            ("flush_requests_time_seconds_total", 0.017),
        ] {
            add("node_disk_\(name)", ["device": "sda"], value)
        }
        for (name, value) in [
            ("reads_completed_total", 100.0), ("reads_merged_total", 0), ("read_bytes_total", 2000 * 512),
            ("read_time_seconds_total", 1.5), ("writes_completed_total", 300), ("writes_merged_total", 0),
            ("written_bytes_total", 4000 * 512), ("write_time_seconds_total", 2.5), ("io_now", 0),
            ("io_time_seconds_total", 3), ("io_time_weighted_seconds_total", 4),
        ] {
            add("node_disk_\(name)", ["device": "nvme0n1"], value)
        }
        // filesystem: /proc, docker's overlay2 and squashfs excluded; the repeated / once;
        // statvfs failing on /run/user/1000 leaves device_error and readonly only.
        let rootLabels: Labels = ["device": "/dev/vda", "fstype": "ext4", "mountpoint": "/"]
        add("node_filesystem_device_error", rootLabels, 0)
        add("node_filesystem_readonly", rootLabels, 0)
        add("node_filesystem_size_bytes", rootLabels, 10_000)
        add("node_filesystem_free_bytes", rootLabels, 4_000)
        add("node_filesystem_avail_bytes", rootLabels, 3_000)
        add("node_filesystem_files", rootLabels, 100)
        add("node_filesystem_files_free", rootLabels, 60)
        add("node_filesystem_mount_info", ["device": "/dev/vda", "major": "254", "minor": "0", "mountpoint": "/"], 1)
        let runLabels: Labels = [
            "device": "tmpfs", "fstype": "tmpfs", "mountpoint": "/run/user/1000", "device_error": "Permission denied",
        ]
        add("node_filesystem_device_error", runLabels, 1)
        add("node_filesystem_readonly", runLabels, 0)
        let usbLabels: Labels = ["device": "/dev/sdb1", "fstype": "vfat", "mountpoint": "/mnt/usb key"]
        add("node_filesystem_device_error", usbLabels, 0)
        add("node_filesystem_readonly", usbLabels, 1)
        add("node_filesystem_size_bytes", usbLabels, 500)
        add("node_filesystem_free_bytes", usbLabels, 0)
        add("node_filesystem_avail_bytes", usbLabels, 0)
        add("node_filesystem_files", usbLabels, 0)
        add("node_filesystem_files_free", usbLabels, 0)
        add("node_filesystem_mount_info", ["device": "/dev/sdb1", "major": "8", "minor": "17", "mountpoint": "/mnt/usb key"], 1)

        #expect(snapshot.samples.count == expected.count)
        for (index, (got, want)) in zip(snapshot.samples, expected).enumerated() {
            #expect(got == want, "sample \(index)")
        }
    }

    @Test func aMissingOrBadFileFailsOnlyItsCollector() throws {
        let root = try fakeProc()
        try FileManager.default.removeItem(atPath: root.sub("diskstats"))
        try write("MemTotal: 1000 kB\nMemFree 5 kB\n", to: root.sub("meminfo"))
        let snapshot = try collector(root).collect()

        #expect(snapshot.failures.map(\.collector) == [.meminfo, .diskstats])
        #expect(snapshot.failures[0].error == ProcFileError(
            path: root.sub("meminfo"), line: 2, reason: "no ':' after the field name"))
        #expect(snapshot.failures[1].error.path == root.sub("diskstats"))
        #expect(snapshot.failures[1].error.reason == "No such file or directory")
        #expect(snapshot.failures[1].description.hasPrefix("host metrics collector diskstats: \(root.sub("diskstats"))"))
        let families = Set(snapshot.samples.map(\.name))
        #expect(!families.contains { $0.hasPrefix("node_memory_") || $0.hasPrefix("node_disk_") })
        #expect(families.isSuperset(of: ["node_cpu_seconds_total", "node_load1", "node_forks_total",
                                         "node_network_receive_bytes_total", "node_filesystem_size_bytes"]))
    }

    @Test func aMissingStatFailsBothCollectorsThatReadIt() throws {
        let root = try fakeProc()
        try FileManager.default.removeItem(atPath: root.sub("stat"))
        let snapshot = try collector(root).collect()
        #expect(snapshot.failures.map(\.collector) == [.cpu, .stat])
    }

    @Test func everyCollectorFailingThrows() {
        let collector = HostMetricsCollector(procRoot: "/nonexistent-proc-root", statFileSystem: Self.fakeStatter)
        #expect(throws: InputError.self) { try collector.collect() }
    }

    @Test func onlyEnabledCollectorsRead() throws {
        let root = TemporaryDirectory()
        try write("1.5 2.5 3.5 1/2 3\n", to: root.sub("loadavg"))
        let collector = HostMetricsCollector(procRoot: root.path, collectors: [.loadavg])
        let snapshot = try collector.collect()
        #expect(snapshot.failures == [])
        #expect(snapshot.samples == [
            MetricSample(name: "node_load1", value: 1.5), MetricSample(name: "node_load5", value: 2.5),
            MetricSample(name: "node_load15", value: 3.5),
        ])
    }

    @Test func excludePatternsCanBeChangedOrDropped() throws {
        let root = try fakeProc()
        // Patterns from configuration arrive as String values (a literal would be taken as
        // ExpressibleByStringLiteral and trap when invalid).
        let loopback = "^lo$", unclosed = "(unclosed"
        let collector = HostMetricsCollector(
            procRoot: root.path, collectors: [.netdev, .diskstats],
            diskDevicesExclude: nil, networkDevicesExclude: try ExcludePattern(loopback))
        let samples = try collector.collect().samples
        #expect(Set(samples.compactMap { $0.name.hasPrefix("node_network_") ? $0.labels["device"] : nil }) == ["eth0"])
        #expect(Set(samples.compactMap { $0.name.hasPrefix("node_disk_") ? $0.labels["device"] : nil })
            == ["sda", "sda1", "loop0", "nvme0n1"])
        #expect(throws: InputError.self) { try ExcludePattern(unclosed) }
    }

    @Test func defaultExcludesMatchNodeExporters() {
        func excluded(_ pattern: ExcludePattern, _ name: String) -> Bool {
            name.contains(try! Regex(pattern.pattern))
        }
        for name in ["sda1", "vdb2", "xvda1", "hdc3", "nvme0n1p2", "loop7", "ram0", "zram1", "fd0"] {
            #expect(excluded(HostMetricsCollector.defaultDiskDevicesExclude, name), "\(name)")
        }
        for name in ["sda", "vda", "nvme0n1", "dm-0", "md0", "mmcblk0", "sr0"] {
            #expect(!excluded(HostMetricsCollector.defaultDiskDevicesExclude, name), "\(name)")
        }
        for type in ["proc", "sysfs", "cgroup", "cgroup2", "overlay", "squashfs", "devtmpfs", "tracefs"] {
            #expect(excluded(HostMetricsCollector.defaultFileSystemTypesExclude, type), "\(type)")
        }
        for type in ["ext4", "xfs", "btrfs", "tmpfs", "nfs4", "vfat", "zfs"] {
            #expect(!excluded(HostMetricsCollector.defaultFileSystemTypesExclude, type), "\(type)")
        }
        for point in ["/proc", "/sys/fs/cgroup", "/dev", "/dev/shm", "/run/credentials/x.service", "/var/lib/docker/overlay2/a"] {
            #expect(excluded(HostMetricsCollector.defaultMountPointsExclude, point), "\(point)")
        }
        for point in ["/", "/home", "/devices", "/run", "/var/lib/docker", "/boot/efi"] {
            #expect(!excluded(HostMetricsCollector.defaultMountPointsExclude, point), "\(point)")
        }
    }

    @Test func mountsFallBackToOurOwnWhenPID1sAreUnreadable() throws {
        let root = try fakeProc()
        try FileManager.default.removeItem(atPath: root.sub("1/mountinfo"))
        try write("27 1 254:0 / / rw - ext4 /dev/vda rw\n", to: root.sub("self/mountinfo"))
        let snapshot = try collector(root).collect()
        #expect(snapshot.failures == [])
        let points = Set(snapshot.samples.compactMap { $0.name.hasPrefix("node_filesystem_") ? $0.labels["mountpoint"] : nil })
        #expect(points == ["/"])
    }

    @Test func rootFSPrefixesStatvfsAndIsStrippedFromLabels() throws {
        let root = try fakeProc()
        try write("27 1 254:0 / / rw - ext4 /dev/vda rw\n28 27 8:1 / /host/mnt/usb\\040key rw - vfat /dev/sdb1 rw\n",
                  to: root.sub("1/mountinfo"))
        // statvfs answers only at the host paths under the rootfs.
        let collector = HostMetricsCollector(
            procRoot: root.path, rootFS: "/host/", collectors: [.filesystem],
            statFileSystem: { path throws(FileSystemUsage.StatError) in
                switch path {
                case "/host": try Self.fakeStatter("/")
                case "/host/mnt/usb key": try Self.fakeStatter("/mnt/usb key")
                default: throw FileSystemUsage.StatError("statvfs asked about \(path)")
                }
            })
        let samples = try collector.collect().samples
        #expect(!samples.contains { $0.labels["device_error"] != nil }, "\(samples)")
        #expect(Set(samples.compactMap { $0.labels["mountpoint"] }) == ["/", "/mnt/usb key"])
    }

    @Test func cpuCountersNeverGoBackwardsUnlessTheCPUWasReplugged() throws {
        let root = TemporaryDirectory()
        let collector = HostMetricsCollector(procRoot: root.path, collectors: [.cpu], clockTicksPerSecond: 100)
        func iowaitAndIdle() throws -> [Double?] {
            let samples = try collector.collect().samples
            func value(_ mode: String) -> Double? {
                samples.first { $0.name == "node_cpu_seconds_total" && $0.labels == ["cpu": "0", "mode": mode] }?.value
            }
            return [value("iowait"), value("idle")]
        }
        try write("cpu 1 1 1 1000 50\ncpu0 1 1 1 1000 50\n", to: root.sub("stat"))
        #expect(try iowaitAndIdle() == [0.5, 10])
        // The kernel's iowait stepped back: keep reporting the last value.
        try write("cpu 1 1 1 1010 40\ncpu0 1 1 1 1010 40\n", to: root.sub("stat"))
        #expect(try iowaitAndIdle() == [0.5, 10.1])
        try write("cpu 1 1 1 1020 60\ncpu0 1 1 1 1020 60\n", to: root.sub("stat"))
        #expect(try iowaitAndIdle() == [0.6, 10.2])
        // Idle fell by 3 s or more: a replugged CPU starts afresh.
        try write("cpu 1 1 1 700 5\ncpu0 1 1 1 700 5\n", to: root.sub("stat"))
        #expect(try iowaitAndIdle() == [0.05, 7])
        // A copy shares the history.
        try write("cpu 1 1 1 710 1\ncpu0 1 1 1 710 1\n", to: root.sub("stat"))
        let copy = collector
        let iowait = try copy.collect().samples.first { $0.labels == ["cpu": "0", "mode": "iowait"] }?.value
        #expect(iowait == 0.05)
    }

    // MARK: This machine's /proc

    @Test func liveMemTotalMatchesProcMeminfo() throws {
        let snapshot = try HostMetricsCollector().collect()
        #expect(snapshot.failures == [], "\(snapshot.failures)")
        let line = try #require(try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("MemTotal:") })
        let kilobytes = try #require(Double(line.split(separator: " ")[1]))
        let sample = snapshot.samples.first { $0.name == "node_memory_MemTotal_bytes" }
        #expect(sample?.value == kilobytes * 1024)
        let families = Set(snapshot.samples.map(\.name))
        #expect(families.isSuperset(of: [
            "node_cpu_seconds_total", "node_boot_time_seconds", "node_context_switches_total", "node_intr_total",
            "node_forks_total", "node_procs_running", "node_procs_blocked", "node_load1", "node_load5",
            "node_load15", "node_network_receive_bytes_total", "node_network_transmit_bytes_total",
        ]))
        #expect(snapshot.samples.contains { $0.name == "node_network_receive_bytes_total" && $0.labels["device"] == "lo" })
        #expect(!snapshot.samples.contains { $0.name.hasPrefix("node_disk_") && $0.labels["device"]!.hasPrefix("loop") })
        #expect(!snapshot.samples.contains { $0.labels["fstype"] == "proc" || $0.labels["fstype"] == "sysfs" })
    }

    @Test func liveCountersNeverGoBackwards() throws {
        let collector = HostMetricsCollector()
        let first = try collector.collect()
        usleep(50_000)
        let second = try collector.collect()
        let later = Dictionary(second.samples.map { (Series($0), $0.value) }, uniquingKeysWith: { a, _ in a })
        var compared = 0
        for sample in first.samples where sample.name.hasSuffix("_total") {
            guard let value = later[Series(sample)] else { continue }  // an interface that went away
            #expect(value >= sample.value, "\(sample.name)\(sample.labels.pairs) went from \(sample.value) to \(value)")
            compared += 1
        }
        #expect(compared > 20)
    }

    @Test func liveCPUSecondsMatchProcStat() throws {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let before = try Self.readProcStatCPUs()
        let samples = try HostMetricsCollector(collectors: [.cpu]).collect().samples
        let after = try Self.readProcStatCPUs()

        var perCPU: [String: Double] = [:]
        for sample in samples where sample.name == "node_cpu_seconds_total" {
            perCPU[sample.labels["cpu"]!, default: 0] += sample.value
        }
        #expect(Set(perCPU.keys) == Set(before.keys.filter { $0 != "" }))
        // Per-field truncation to ticks and the kernel sampling idle and iowait separately
        // allow a tick; anything beyond is a wrong field or unit.
        func between(_ value: Double, _ low: UInt64, _ high: UInt64, slackTicks: Double) -> Bool {
            let tolerance = 1e-6 * value + slackTicks / ticks
            return Double(low) / ticks - tolerance <= value && value <= Double(high) / ticks + tolerance
        }
        for (cpu, seconds) in perCPU {
            let low = try #require(before[cpu]), high = try #require(after[cpu])
            #expect(between(seconds, low, high, slackTicks: 1), "cpu\(cpu): \(seconds) s not in [\(low), \(high)] ticks")
        }
        // The aggregate line is the kernel's sum before truncating to ticks: it can exceed the
        // per-CPU lines' sum by under one tick per CPU and mode.
        let total = perCPU.values.reduce(0, +)
        let slack = Double(perCPU.count * 8)
        #expect(between(total, try #require(before[""]), try #require(after[""]), slackTicks: slack),
                "sum \(total) s vs cpu line \(before[""]!)…\(after[""]!) ticks")
    }

    // MARK: Helpers

    /// user..steal summed per `cpuN` line ("" for the aggregate), read independently of
    /// the parser under test.
    static func readProcStatCPUs() throws -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in try String(contentsOfFile: "/proc/stat", encoding: .utf8).split(separator: "\n")
        where line.hasPrefix("cpu") {
            let fields = line.split(separator: " ")
            result[String(fields[0].dropFirst(3))] = fields[1...8].map { UInt64($0)! }.reduce(0, +)
        }
        return result
    }

    private func write(_ text: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

private struct Series: Hashable {
    var name: String
    var labels: Labels
    init(_ sample: MetricSample) {
        name = sample.name
        labels = sample.labels
    }
}
