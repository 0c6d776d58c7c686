import Glibc

/// Space and inode figures of one mounted filesystem, as statvfs(3) reports them.
public struct FileSystemUsage: Sendable, Equatable {
    public var sizeBytes: UInt64
    public var freeBytes: UInt64
    /// Free space an unprivileged user may use (excludes the root reserve).
    public var availableBytes: UInt64
    public var files: UInt64
    public var filesFree: UInt64

    public init(sizeBytes: UInt64, freeBytes: UInt64, availableBytes: UInt64, files: UInt64, filesFree: UInt64) {
        self.sizeBytes = sizeBytes
        self.freeBytes = freeBytes
        self.availableBytes = availableBytes
        self.files = files
        self.filesFree = filesFree
    }

    /// How the collector asks about a mount point; tests inject fixed figures.
    public typealias Statter = @Sendable (_ path: String) throws(FileSystemUsage.StatError) -> FileSystemUsage

    /// statvfs failed: the text becomes node_exporter's `device_error` label.
    public struct StatError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The live statter. Blocks are counted in `f_frsize` units (POSIX); Linux sets it to
    /// `f_bsize`, which node_exporter multiplies by, for every common filesystem.
    public static let live: Statter = { path throws(StatError) in
        var buffer = statvfs()
        guard callStatvfs(path, &buffer) == 0 else {
            throw StatError(String(cString: strerror(errno)))
        }
        let unit = UInt64(buffer.f_frsize != 0 ? buffer.f_frsize : buffer.f_bsize)
        return FileSystemUsage(
            sizeBytes: UInt64(buffer.f_blocks) &* unit,
            freeBytes: UInt64(buffer.f_bfree) &* unit,
            availableBytes: UInt64(buffer.f_bavail) &* unit,
            files: UInt64(buffer.f_files),
            filesFree: UInt64(buffer.f_ffree))
    }
}

/// At file scope `statvfs(…)` names the C function rather than the struct of the same name.
private func callStatvfs(_ path: String, _ buffer: UnsafeMutablePointer<statvfs>) -> Int32 {
    statvfs(path, buffer)
}
