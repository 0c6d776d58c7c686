import SluiceModel

/// node_exporter's metric names, labels and units, in one place: parsed /proc values in,
/// samples out. Counters end in `_total`; times are seconds and sizes bytes.
extension HostMetricsCollector {
    /// node_cpu_seconds_total{cpu,mode} for the eight modes, and
    /// node_cpu_guest_seconds_total{cpu,mode=user|nice}. Guest time stays inside user and
    /// nice too (the kernel counts it there); node_exporter does not subtract it.
    static func cpuSamples(_ cpus: [CPUTimes], clockTicksPerSecond: Double) -> [MetricSample] {
        var samples: [MetricSample] = []
        samples.reserveCapacity(cpus.count * 10)
        for times in cpus {
            guard let cpu = times.cpu.map(String.init) else { continue }
            for (mode, ticks) in times.modes {
                samples.append(MetricSample(
                    name: "node_cpu_seconds_total", labels: ["cpu": cpu, "mode": mode],
                    value: Double(ticks) / clockTicksPerSecond))
            }
            samples.append(MetricSample(
                name: "node_cpu_guest_seconds_total", labels: ["cpu": cpu, "mode": "user"],
                value: Double(times.guest) / clockTicksPerSecond))
            samples.append(MetricSample(
                name: "node_cpu_guest_seconds_total", labels: ["cpu": cpu, "mode": "nice"],
                value: Double(times.guestNice) / clockTicksPerSecond))
        }
        return samples
    }

    /// The stat collector's gauges and counters; a line the kernel did not write is skipped.
    static func statSamples(_ stat: ProcStat) -> [MetricSample] {
        let values: [(String, UInt64?)] = [
            ("node_intr_total", stat.interrupts),
            ("node_context_switches_total", stat.contextSwitches),
            ("node_forks_total", stat.forks),
            ("node_boot_time_seconds", stat.bootTime),
            ("node_procs_running", stat.procsRunning),
            ("node_procs_blocked", stat.procsBlocked),
        ]
        return values.compactMap { name, value in value.map { MetricSample(name: name, value: Double($0)) } }
    }

    /// node_memory_<Field>_bytes for kB fields, node_memory_<Field> for counts; the kernel's
    /// `Active(anon)` becomes `Active_anon`, as node_exporter spells it.
    static func memorySamples(_ info: MemInfo) -> [MetricSample] {
        info.entries.map { entry in
            var field = ""
            for character in entry.name where character != ")" { field.append(character == "(" ? "_" : character) }
            if let bytes = entry.bytes {
                return MetricSample(name: "node_memory_\(field)_bytes", value: Double(bytes))
            }
            return MetricSample(name: "node_memory_\(field)", value: Double(entry.value))
        }
    }

    static func loadSamples(_ load: LoadAverage) -> [MetricSample] {
        [MetricSample(name: "node_load1", value: load.load1),
         MetricSample(name: "node_load5", value: load.load5),
         MetricSample(name: "node_load15", value: load.load15)]
    }

    /// node_network_<column>_total{device}, node_exporter's names for /proc/net/dev.
    static func networkSamples(_ interfaces: [NetDevStats.Interface]) -> [MetricSample] {
        interfaces.flatMap { interface in
            interface.counters.map { column, value in
                MetricSample(
                    name: "node_network_\(column)_total", labels: ["device": interface.name], value: Double(value))
            }
        }
    }

    /// node_disk_*{device}: sectors are 512 bytes and times milliseconds in /proc/diskstats
    /// whatever the device, so bytes = sectors × 512 and seconds = ms / 1000. Discard and
    /// flush counters appear only when the kernel writes them, as in node_exporter.
    static func diskSamples(_ devices: [DiskStats.Device]) -> [MetricSample] {
        let sectorBytes = 512.0
        var samples: [MetricSample] = []
        for device in devices {
            let labels: Labels = ["device": device.name]
            var values: [(String, Double)] = [
                ("reads_completed_total", Double(device.readsCompleted)),
                ("reads_merged_total", Double(device.readsMerged)),
                ("read_bytes_total", Double(device.sectorsRead) * sectorBytes),
                ("read_time_seconds_total", Double(device.readTimeMilliseconds) / 1000),
                ("writes_completed_total", Double(device.writesCompleted)),
                ("writes_merged_total", Double(device.writesMerged)),
                ("written_bytes_total", Double(device.sectorsWritten) * sectorBytes),
                ("write_time_seconds_total", Double(device.writeTimeMilliseconds) / 1000),
                ("io_now", Double(device.ioInProgress)),
                ("io_time_seconds_total", Double(device.ioTimeMilliseconds) / 1000),
                ("io_time_weighted_seconds_total", Double(device.weightedIOTimeMilliseconds) / 1000),
            ]
            if let completed = device.discardsCompleted, let merged = device.discardsMerged,
               let sectors = device.sectorsDiscarded, let milliseconds = device.discardTimeMilliseconds {
                values += [
                    ("discards_completed_total", Double(completed)),
                    ("discards_merged_total", Double(merged)),
                    // node_exporter reports sectors here, not bytes.
                    ("discarded_sectors_total", Double(sectors)),
                    ("discard_time_seconds_total", Double(milliseconds) / 1000),
                ]
            }
            if let completed = device.flushesCompleted, let milliseconds = device.flushTimeMilliseconds {
                values += [
                    ("flush_requests_total", Double(completed)),
                    ("flush_requests_time_seconds_total", Double(milliseconds) / 1000),
                ]
            }
            samples += values.map { MetricSample(name: "node_disk_\($0.0)", labels: labels, value: $0.1) }
        }
        return samples
    }

    /// node_filesystem_*{device,fstype,mountpoint}. When statvfs fails, node_exporter still
    /// reports device_error=1 and readonly, with the error as a `device_error` label, and
    /// nothing else for that mount.
    static func fileSystemSamples(
        _ mount: MountInfo.Mount, labels: Labels, usage: Result<FileSystemUsage, FileSystemUsage.StatError>
    ) -> [MetricSample] {
        let readOnly: Double = mount.isReadOnly ? 1 : 0
        switch usage {
        case .failure(let error):
            var errorLabels = labels
            errorLabels["device_error"] = error.description
            return [
                MetricSample(name: "node_filesystem_device_error", labels: errorLabels, value: 1),
                MetricSample(name: "node_filesystem_readonly", labels: errorLabels, value: readOnly),
            ]
        case .success(let usage):
            var infoLabels: Labels = ["device": mount.source, "major": String(mount.major), "minor": String(mount.minor)]
            infoLabels["mountpoint"] = labels["mountpoint"]
            return [
                MetricSample(name: "node_filesystem_device_error", labels: labels, value: 0),
                MetricSample(name: "node_filesystem_readonly", labels: labels, value: readOnly),
                MetricSample(name: "node_filesystem_size_bytes", labels: labels, value: Double(usage.sizeBytes)),
                MetricSample(name: "node_filesystem_free_bytes", labels: labels, value: Double(usage.freeBytes)),
                MetricSample(name: "node_filesystem_avail_bytes", labels: labels, value: Double(usage.availableBytes)),
                MetricSample(name: "node_filesystem_files", labels: labels, value: Double(usage.files)),
                MetricSample(name: "node_filesystem_files_free", labels: labels, value: Double(usage.filesFree)),
                MetricSample(name: "node_filesystem_mount_info", labels: infoLabels, value: 1),
            ]
        }
    }
}
