import Foundation

/// Writes real journal files for tests with systemd-journal-remote (Debian package
/// `systemd-journal-remote`), which reads the journal export format on stdin: the same
/// files journald writes, without needing a journald.
public enum JournalWriter {
    public static let remotePath = "/lib/systemd/systemd-journal-remote"

    /// One entry to write.
    public struct Entry: Sendable {
        /// `__REALTIME_TIMESTAMP`, microseconds since the epoch.
        public var realtime: UInt64
        /// `__MONOTONIC_TIMESTAMP`, microseconds since boot.
        public var monotonic: UInt64
        /// `_BOOT_ID`, 32 lowercase hex digits.
        public var bootID: String
        /// The data fields besides `_BOOT_ID` (`MESSAGE`, `_HOSTNAME`, …). libsystemd drops
        /// an exact repeat of a `NAME=value` pair within one entry.
        public var fields: [(name: String, value: [UInt8])]

        public init(realtime: UInt64, monotonic: UInt64, bootID: String, fields: [(name: String, value: [UInt8])]) {
            self.realtime = realtime
            self.monotonic = monotonic
            self.bootID = bootID
            self.fields = fields
        }

        /// The data fields a reader gets back: `_BOOT_ID` and `fields`.
        public var storedFields: [(name: String, value: [UInt8])] {
            [("_BOOT_ID", Array(bootID.utf8))] + fields
        }
    }

    /// Appends entries to the journal file at `path` (which must end in `.journal`),
    /// creating it if needed. Entries in one file should share one boot with increasing
    /// monotonic times (see `JournalBoot`): libsystemd orders and seeks by them.
    public static func write(_ entries: [Entry], to path: String) throws {
        let input = FileManager.default.temporaryDirectory
            .appendingPathComponent("journal-export-\(UUID().uuidString)")
        try Data(exportFormat(entries)).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: remotePath)
        process.arguments = ["--output=\(path)", "-"]
        process.standardInput = try FileHandle(forReadingFrom: input)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw JournalWriterError(
                "systemd-journal-remote exited with \(process.terminationStatus): "
                    + String(decoding: messages, as: UTF8.self))
        }
    }

    /// The journal export format: `KEY=value` lines, or for values holding a newline or
    /// other control bytes `KEY`, newline, 64-bit little-endian length, the bytes, newline;
    /// a blank line ends each entry.
    public static func exportFormat(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        func text(_ name: String, _ value: String) {
            out += Array(name.utf8) + [UInt8(ascii: "=")] + Array(value.utf8) + [UInt8(ascii: "\n")]
        }
        for entry in entries {
            text("__REALTIME_TIMESTAMP", String(entry.realtime))
            text("__MONOTONIC_TIMESTAMP", String(entry.monotonic))
            text("_BOOT_ID", entry.bootID)
            for field in entry.fields {
                if field.value.contains(where: { $0 < 0x20 && $0 != UInt8(ascii: "\t") }) {
                    out += Array(field.name.utf8) + [UInt8(ascii: "\n")]
                    withUnsafeBytes(of: UInt64(field.value.count).littleEndian) { out += $0 }
                    out += field.value + [UInt8(ascii: "\n")]
                } else {
                    out += Array(field.name.utf8) + [UInt8(ascii: "=")] + field.value + [UInt8(ascii: "\n")]
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}

/// systemd-journal-remote failed; carries its exit status and messages.
public struct JournalWriterError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
