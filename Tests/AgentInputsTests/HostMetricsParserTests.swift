import AgentInputs
import TestSupport
import Testing

/// The /proc parsers on realistic text from Linux 6.x (and older layouts where the kernel
/// changed them), and on malformed text, which must give an error naming file and line.
@Suite struct HostMetricsParserTests {
    // MARK: /proc/stat

    static let procStat = """
        cpu  555113 2 171181 1173282 19136 0 9521 2270 120 3
        cpu0 246041 2 81224 628262 5099 0 3032 1202 100 3
        cpu1 309072 0 89956 545019 14036 0 6488 1068 20 0
        intr 199292213 43 9 0 0 0 0 0 0 1 0 0
        ctxt 38014093
        btime 1767225600
        processes 26442
        procs_running 3
        procs_blocked 1
        softirq 5057579 250191 1481983 1647 211099 28457 0 1 1394950 1021 1688231

        """

    @Test func procStat() throws {
        let stat = try ProcStat.parse(Self.procStat)
        #expect(stat.total == CPUTimes(
            cpu: nil, user: 555113, nice: 2, system: 171181, idle: 1173282, iowait: 19136, irq: 0,
            softirq: 9521, steal: 2270, guest: 120, guestNice: 3))
        #expect(stat.cpus == [
            CPUTimes(cpu: 0, user: 246041, nice: 2, system: 81224, idle: 628262, iowait: 5099, irq: 0,
                     softirq: 3032, steal: 1202, guest: 100, guestNice: 3),
            CPUTimes(cpu: 1, user: 309072, nice: 0, system: 89956, idle: 545019, iowait: 14036, irq: 0,
                     softirq: 6488, steal: 1068, guest: 20, guestNice: 0),
        ])
        #expect(stat.interrupts == 199292213)
        #expect(stat.contextSwitches == 38014093)
        #expect(stat.bootTime == 1767225600)
        #expect(stat.forks == 26442)
        #expect(stat.procsRunning == 3)
        #expect(stat.procsBlocked == 1)
        #expect(stat.cpus[1].modes.map(\.mode) == ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"])
    }

    @Test func procStatFromAnOldKernelHasZeroForLaterColumns() throws {
        // Linux 2.6.0 wrote four CPU times and no procs_* lines.
        let stat = try ProcStat.parse("cpu 10 20 30 40\ncpu0 10 20 30 40\nctxt 5\n")
        #expect(stat.cpus == [CPUTimes(cpu: 0, user: 10, nice: 20, system: 30, idle: 40)])
        #expect(stat.procsRunning == nil)
        #expect(stat.contextSwitches == 5)
    }

    @Test func malformedProcStat() {
        expectError(ProcStat.self, "cpu 1 2 3 4\ncpu0 1 x 3 4\n", line: 2, mentioning: "x")
        expectError(ProcStat.self, "cpu 1 2 3 4\ncpu0 1 2 3\n", line: 2, mentioning: "at least 4")
        expectError(ProcStat.self, "cpu 1 2 3 4\ncpuX 1 2 3 4\n", line: 2, mentioning: "cpuX")
        expectError(ProcStat.self, "cpu 1 2 3 4\nctxt\n", line: 2, mentioning: "ctxt")
        expectError(ProcStat.self, "cpu 1 2 3 4\nbtime -5\n", line: 2, mentioning: "btime")
        expectError(ProcStat.self, "cpu 99999999999999999999999 2 3 4\n", line: 1, mentioning: "not a number")
        expectError(ProcStat.self, "ctxt 5\n", line: 0, mentioning: "no cpu lines")
        expectError(ProcStat.self, "", line: 0, mentioning: "no cpu lines")
    }

    // MARK: /proc/meminfo

    static let memInfo = """
        MemTotal:       24668984 kB
        MemFree:         1180712 kB
        MemAvailable:   20123456 kB
        Active(anon):     912340 kB
        Inactive(file):  6543210 kB
        Committed_AS:    4567890 kB
        HugePages_Total:       0
        HugePages_Free:        0
        Hugepagesize:       2048 kB
        DirectMap1G:    25165824 kB

        """

    @Test func memInfo() throws {
        let info = try MemInfo.parse(Self.memInfo)
        #expect(info.entries.map(\.name) == [
            "MemTotal", "MemFree", "MemAvailable", "Active(anon)", "Inactive(file)", "Committed_AS",
            "HugePages_Total", "HugePages_Free", "Hugepagesize", "DirectMap1G",
        ])
        #expect(info["MemTotal"] == MemInfo.Entry(name: "MemTotal", value: 24668984, isKilobytes: true))
        #expect(info["MemTotal"]?.bytes == 24668984 * 1024)
        #expect(info["Active(anon)"]?.bytes == 912340 * 1024)
        #expect(info["HugePages_Total"] == MemInfo.Entry(name: "HugePages_Total", value: 0, isKilobytes: false))
        #expect(info["HugePages_Total"]?.bytes == nil)
        #expect(info["Missing"] == nil)
    }

    @Test func malformedMemInfo() {
        expectError(MemInfo.self, "MemTotal: 1 kB\nMemFree 2 kB\n", line: 2, mentioning: "':'")
        expectError(MemInfo.self, "MemTotal: 1 kB\nMemFree: two kB\n", line: 2, mentioning: "MemFree")
        expectError(MemInfo.self, "MemTotal: 1 MB\n", line: 1, mentioning: "MB")
        expectError(MemInfo.self, "MemTotal: 1 kB extra\n", line: 1, mentioning: "unit")
        expectError(MemInfo.self, ": 1 kB\n", line: 1, mentioning: "empty field name")
        expectError(MemInfo.self, "\n\n", line: 0, mentioning: "no fields")
    }

    // MARK: /proc/loadavg

    @Test func loadAverage() throws {
        #expect(try LoadAverage.parse("4.59 2.67 1.72 2/117 29089\n") == LoadAverage(load1: 4.59, load5: 2.67, load15: 1.72))
        #expect(try LoadAverage.parse("0.00 0.01 10.50 1/1 1") == LoadAverage(load1: 0, load5: 0.01, load15: 10.5))
    }

    @Test func malformedLoadAverage() {
        expectError(LoadAverage.self, "", line: 0, mentioning: "empty")
        expectError(LoadAverage.self, "0.1 0.2\n", line: 1, mentioning: "expected 3")
        expectError(LoadAverage.self, "0.1 abc 0.3 1/2 3\n", line: 1, mentioning: "abc")
        expectError(LoadAverage.self, "0.1 -0.2 0.3 1/2 3\n", line: 1, mentioning: "-0.2")
    }

    // MARK: /proc/net/dev

    static let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo: 182977915041 8360010    0    0    0     0          0         0 182977915041 8360010    0    0    0     0       0          0
          eth0:184839802    4991    1    2    3     4          5         6   356773    3255    7    8    9    10      11         12

        """

    @Test func netDev() throws {
        let stats = try NetDevStats.parse(Self.netDev)
        #expect(stats.interfaces.map(\.name) == ["lo", "eth0"])
        let lo = stats.interfaces[0]
        #expect(lo.receiveBytes == 182977915041 && lo.transmitBytes == 182977915041)
        #expect(lo.receivePackets == 8360010 && lo.transmitPackets == 8360010)
        let eth0 = stats.interfaces[1]
        #expect(eth0 == NetDevStats.Interface(
            name: "eth0", counters: [184839802, 4991, 1, 2, 3, 4, 5, 6, 356773, 3255, 7, 8, 9, 10, 11, 12]))
        #expect(eth0.receiveErrs == 1 && eth0.receiveDrop == 2 && eth0.receiveFifo == 3 && eth0.receiveFrame == 4)
        #expect(eth0.receiveCompressed == 5 && eth0.receiveMulticast == 6)
        #expect(eth0.transmitErrs == 7 && eth0.transmitDrop == 8 && eth0.transmitFifo == 9)
        #expect(eth0.transmitColls == 10 && eth0.transmitCarrier == 11 && eth0.transmitCompressed == 12)
        #expect(eth0.counters.map(\.name) == [
            "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame",
            "receive_compressed", "receive_multicast", "transmit_bytes", "transmit_packets", "transmit_errs",
            "transmit_drop", "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
        ])
    }

    @Test func malformedNetDev() {
        let header = Self.netDev.split(separator: "\n").prefix(2).joined(separator: "\n") + "\n"
        expectError(NetDevStats.self, header + "eth0 1 2 3\n", line: 3, mentioning: "':'")
        expectError(NetDevStats.self, header + "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", line: 3, mentioning: "15 counters")
        expectError(NetDevStats.self, header + "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n", line: 3, mentioning: "x")
        expectError(NetDevStats.self, header + ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", line: 3, mentioning: "empty")
    }

    // MARK: /proc/diskstats

    static let diskStats = """
         254       0 vda 812054 72743 125612642 1243519 3906926 418099 431357248 1456064 0 433296 2814093 246730 1 407487936 56059 1254101 58449
         254       1 vda1 800000 70000 125000000 1200000 3900000 418000 431000000 1450000 2 430000 2800000 246730 1 407487936 56059
           8       0 sda 1000 10 20000 300 2000 20 40000 600 1 700 900
           7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0

        """

    @Test func diskStats() throws {
        let stats = try DiskStats.parse(Self.diskStats)
        #expect(stats.devices.map(\.name) == ["vda", "vda1", "sda", "loop0"])
        let vda = stats.devices[0]
        #expect(vda == DiskStats.Device(
            major: 254, minor: 0, name: "vda",
            counters: [812054, 72743, 125612642, 1243519, 3906926, 418099, 431357248, 1456064, 0, 433296,
                       2814093, 246730, 1, 407487936, 56059, 1254101, 58449]))
        #expect(vda.readsCompleted == 812054 && vda.readsMerged == 72743 && vda.sectorsRead == 125612642)
        #expect(vda.readTimeMilliseconds == 1243519 && vda.writesCompleted == 3906926 && vda.writesMerged == 418099)
        #expect(vda.sectorsWritten == 431357248 && vda.writeTimeMilliseconds == 1456064 && vda.ioInProgress == 0)
        #expect(vda.ioTimeMilliseconds == 433296 && vda.weightedIOTimeMilliseconds == 2814093)
        #expect(vda.discardsCompleted == 246730 && vda.discardsMerged == 1 && vda.sectorsDiscarded == 407487936)
        #expect(vda.discardTimeMilliseconds == 56059 && vda.flushesCompleted == 1254101 && vda.flushTimeMilliseconds == 58449)
        // Linux 4.18–5.4: discards, no flushes.
        #expect(stats.devices[1].discardsCompleted == 246730 && stats.devices[1].flushesCompleted == nil)
        // Before 4.18: neither.
        #expect(stats.devices[2].ioInProgress == 1 && stats.devices[2].discardsCompleted == nil)
        #expect(stats.devices[2].major == 8 && stats.devices[2].minor == 0)
    }

    @Test func malformedDiskStats() {
        expectError(DiskStats.self, "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 1 sda1 1 2 3\n", line: 2, mentioning: "at least 11")
        expectError(DiskStats.self, "8 x sda 1 2 3 4 5 6 7 8 9 10 11\n", line: 1, mentioning: "8:x")
        expectError(DiskStats.self, "8 0 sda 1 2 3 4 5 6 7 8 9 10 -11\n", line: 1, mentioning: "sda counter -11")
    }

    // MARK: /proc/self/mountinfo

    static let mountInfo = #"""
        22 27 0:21 / /proc rw,relatime - proc proc rw
        27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard,errors=remount-ro
        28 27 0:25 / /mnt/my\040disk ro,nosuid,nodev,relatime shared:7 master:2 - vfat /dev/sdb1 rw,fmask=0022
        29 27 0:26 /data /srv/back\134slash rw,relatime - xfs /dev/mapper/vg-data\040x rw,emergency_ro
        30 27 0:27 / /broken\04 rw - tmpfs tmpfs

        """#

    @Test func mountInfo() throws {
        let info = try MountInfo.parse(Self.mountInfo)
        #expect(info.mounts.map(\.mountPoint) == ["/proc", "/", "/mnt/my disk", "/srv/back\\slash", "/broken\\04"])
        #expect(info.mounts[1] == MountInfo.Mount(
            major: 254, minor: 0, mountPoint: "/", options: ["rw", "relatime"], fsType: "ext4",
            source: "/dev/vda", superOptions: ["rw", "discard", "errors=remount-ro"]))
        #expect(info.mounts[2].fsType == "vfat" && info.mounts[2].source == "/dev/sdb1")
        #expect(info.mounts[3].source == "/dev/mapper/vg-data x")
        #expect(info.mounts[4].superOptions == [])
        // ro per mount, ro or emergency_ro per superblock.
        #expect(info.mounts.map(\.isReadOnly) == [false, false, true, true, false])
    }

    @Test func malformedMountInfo() {
        expectError(MountInfo.self, "22 27 0:21 / /proc rw,relatime proc proc rw\n", line: 1, mentioning: "'-'")
        expectError(MountInfo.self, "22 27 0:21 / /proc rw - proc\n", line: 1, mentioning: "at least 9")
        expectError(MountInfo.self, "22 27 0:21 / /proc rw a b c -\n", line: 1, mentioning: "after '-'")
        expectError(MountInfo.self, "22 27 021 / /proc rw - proc proc rw\n", line: 1, mentioning: "major:minor")
        expectError(MountInfo.self, "22 27 0:21 / / rw - ext4 a rw\n1 2\n", line: 2, mentioning: "found 2")
    }

    // MARK: Never a crash

    /// Every prefix of every fixture, and random bytes salted with the files' own
    /// characters, either parse or throw a ProcFileError; reaching the end is the test.
    @Test func truncatedAndRandomInputNeverCrashes() {
        let fixtures = [Self.procStat, Self.memInfo, "4.59 2.67 1.72 2/117 29089\n", Self.netDev, Self.diskStats, Self.mountInfo]
        var inputs: [[UInt8]] = fixtures.flatMap { text in
            let bytes = Array(text.utf8)
            return (0...bytes.count).map { Array(bytes[..<$0]) }
        }
        var random = SplitMix64(seed: 7)
        let alphabet = Array("0123456789 :|-\\()\n\tcpu kB eth0 intr ctxt 0:21".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<2000 {
            inputs.append((0..<Int.random(in: 0..<120, using: &random)).map { _ in
                alphabet.randomElement(using: &random)!
            })
        }
        for input in inputs {
            _ = try? ProcStat.parse(input)
            _ = try? MemInfo.parse(input)
            _ = try? LoadAverage.parse(input)
            _ = try? NetDevStats.parse(input)
            _ = try? DiskStats.parse(input)
            _ = try? MountInfo.parse(input)
        }
    }

    @Test func errorDescriptionNamesFileAndLine() {
        #expect(ProcFileError(path: "/proc/stat", line: 3, reason: "bad").description == "/proc/stat line 3: bad")
        #expect(ProcFileError(path: "/proc/stat", line: 0, reason: "empty").description == "/proc/stat: empty")
        #expect(throws: ProcFileError(path: "/host/proc/loadavg", line: 1, reason: "expected 3 load averages, found 1 fields")) {
            try LoadAverage.parse("1\n", path: "/host/proc/loadavg")
        }
    }

    // MARK: Helpers

    private func expectError<File: ProcFile>(
        _ type: File.Type, _ text: String, line: Int, mentioning fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let parsed = try File.parse(text)
            Issue.record("expected an error, parsed \(parsed)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.path == File.defaultPath, sourceLocation: sourceLocation)
            #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
            #expect(error.reason.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }
}
