/// /proc/diskstats: `major minor name` and then 11 counters (Linux 2.6.25+), 15 (4.18+,
/// discards) or 17 (5.5+, flushes). Times are milliseconds, sizes 512-byte sectors
/// whatever the device's sector size.
public struct DiskStats: ProcFile, Equatable {
    public static let relativePath = "diskstats"

    public struct Device: Sendable, Equatable {
        public var major: UInt64
        public var minor: UInt64
        public var name: String
        public var readsCompleted: UInt64
        public var readsMerged: UInt64
        public var sectorsRead: UInt64
        public var readTimeMilliseconds: UInt64
        public var writesCompleted: UInt64
        public var writesMerged: UInt64
        public var sectorsWritten: UInt64
        public var writeTimeMilliseconds: UInt64
        public var ioInProgress: UInt64
        public var ioTimeMilliseconds: UInt64
        public var weightedIOTimeMilliseconds: UInt64
        /// Discard counters, nil before Linux 4.18.
        public var discardsCompleted: UInt64?
        public var discardsMerged: UInt64?
        public var sectorsDiscarded: UInt64?
        public var discardTimeMilliseconds: UInt64?
        /// Flush counters, nil before Linux 5.5.
        public var flushesCompleted: UInt64?
        public var flushTimeMilliseconds: UInt64?

        /// The counters after the name, in the file's order: 11, 15 or 17 of them.
        public init(major: UInt64, minor: UInt64, name: String, counters c: [UInt64]) {
            precondition(c.count >= 11, "/proc/diskstats has at least 11 counters per device")
            self.major = major
            self.minor = minor
            self.name = name
            readsCompleted = c[0]; readsMerged = c[1]; sectorsRead = c[2]; readTimeMilliseconds = c[3]
            writesCompleted = c[4]; writesMerged = c[5]; sectorsWritten = c[6]; writeTimeMilliseconds = c[7]
            ioInProgress = c[8]; ioTimeMilliseconds = c[9]; weightedIOTimeMilliseconds = c[10]
            if c.count >= 15 {
                discardsCompleted = c[11]; discardsMerged = c[12]; sectorsDiscarded = c[13]; discardTimeMilliseconds = c[14]
            }
            if c.count >= 17 { flushesCompleted = c[15]; flushTimeMilliseconds = c[16] }
        }
    }

    public var devices: [Device]

    public init(devices: [Device]) { self.devices = devices }

    public static func parse(_ bytes: [UInt8], path: String) throws(ProcFileError) -> DiskStats {
        var devices: [Device] = []
        for (number, text) in ProcText.lines(bytes) {
            let fields = ProcText.fields(text)
            if fields.isEmpty { continue }
            func error(_ reason: String) -> ProcFileError { ProcFileError(path: path, line: number, reason: reason) }
            guard fields.count >= 14 else {
                throw error("expected major, minor, name and at least 11 counters, found \(fields.count) fields")
            }
            guard let major = ProcText.uint64(fields[0]), let minor = ProcText.uint64(fields[1]) else {
                throw error("device number \(ProcText.string(fields[0])):\(ProcText.string(fields[1])) is not numeric")
            }
            let name = ProcText.string(fields[2])
            var counters: [UInt64] = []
            for field in fields.dropFirst(3) {
                guard let value = ProcText.uint64(field) else {
                    throw error("\(name) counter \(ProcText.string(field)) is not a number")
                }
                counters.append(value)
            }
            devices.append(Device(major: major, minor: minor, name: name, counters: counters))
        }
        return DiskStats(devices: devices)
    }
}
