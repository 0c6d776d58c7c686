/// /proc/<pid>/mountinfo (proc(5)): `id parent major:minor root mountpoint options
/// [optional fields…] - fstype source superoptions`. Preferred over /proc/mounts because
/// it separates per-mount from superblock options and is what node_exporter reads.
public struct MountInfo: ProcFile, Equatable {
    public static let relativePath = "self/mountinfo"

    public struct Mount: Sendable, Equatable {
        public var major: UInt64
        public var minor: UInt64
        /// Where it is mounted, with the kernel's `\040`-style escapes decoded.
        public var mountPoint: String
        /// Per-mount options, e.g. `["rw", "relatime"]`.
        public var options: [String]
        public var fsType: String
        /// The mount source (`/dev/sda1`, `tmpfs`, `server:/export`), escapes decoded.
        public var source: String
        /// Superblock options, e.g. `["rw", "errors=remount-ro"]`.
        public var superOptions: [String]

        public init(
            major: UInt64, minor: UInt64, mountPoint: String, options: [String], fsType: String,
            source: String, superOptions: [String]
        ) {
            self.major = major
            self.minor = minor
            self.mountPoint = mountPoint
            self.options = options
            self.fsType = fsType
            self.source = source
            self.superOptions = superOptions
        }

        /// node_exporter's rule: read-only when the mount or the superblock says `ro`, or the
        /// superblock went `emergency_ro` after an error.
        public var isReadOnly: Bool {
            options.contains("ro") || superOptions.contains("ro") || superOptions.contains("emergency_ro")
        }
    }

    public var mounts: [Mount]

    public init(mounts: [Mount]) { self.mounts = mounts }

    public static func parse(_ bytes: [UInt8], path: String) throws(ProcFileError) -> MountInfo {
        var mounts: [Mount] = []
        for (number, text) in ProcText.lines(bytes) {
            let fields = ProcText.fields(text)
            if fields.isEmpty { continue }
            func error(_ reason: String) -> ProcFileError { ProcFileError(path: path, line: number, reason: reason) }
            guard fields.count >= 9 else { throw error("expected at least 9 fields, found \(fields.count)") }
            let device = fields[2].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard device.count == 2, let major = ProcText.uint64(device[0]), let minor = ProcText.uint64(device[1]) else {
                throw error("device \(ProcText.string(fields[2])) is not major:minor")
            }
            guard let separator = fields[6...].firstIndex(where: { $0.elementsEqual("-".utf8) }) else {
                throw error("no '-' before the filesystem type")
            }
            guard fields.count >= separator + 3 else { throw error("no filesystem type and source after '-'") }
            mounts.append(Mount(
                major: major, minor: minor,
                mountPoint: unescape(fields[4]),
                options: options(fields[5]),
                fsType: unescape(fields[separator + 1]),
                source: unescape(fields[separator + 2]),
                superOptions: fields.count > separator + 3 ? options(fields[separator + 3]) : []))
        }
        return MountInfo(mounts: mounts)
    }

    private static func options(_ field: ProcText.Field) -> [String] {
        field.split(separator: UInt8(ascii: ",")).map(ProcText.string)
    }

    /// The kernel writes space, tab, newline and backslash in names as `\ooo` octal.
    static func unescape(_ field: ProcText.Field) -> String {
        guard field.contains(UInt8(ascii: "\\")) else { return ProcText.string(field) }
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var index = field.startIndex
        while index < field.endIndex {
            let byte = field[index]
            if byte == UInt8(ascii: "\\"), field.endIndex - index >= 4,
               let value = octal(field[(index + 1)..<(index + 4)]) {
                out.append(value)
                index += 4
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ digits: ProcText.Field) -> UInt8? {
        var value: UInt16 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + UInt16(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
