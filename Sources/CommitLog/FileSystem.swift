#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An open file descriptor, closed when the last reference goes away.
///
/// Thread-safety: positional reads (`pread`) are safe from any thread at once; writes and
/// truncation must be serialized by the owner (the partition lock). Holding a reference
/// keeps the data readable even after the file is unlinked by retention.
public final class FileHandle: @unchecked Sendable {
    /// The open descriptor; valid as long as this handle lives.
    public let descriptor: Int32
    /// The path it was opened with, for error messages.
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Opens `path` read-write (or read-only), creating it with mode 0644 when `create`.
    public static func open(_ path: String, create: Bool = false, readOnly: Bool = false) throws -> FileHandle {
        var flags = (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC
        if create { flags |= O_CREAT }
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw LogError.io(operation: "open", path: path, errno: errno) }
        return FileHandle(descriptor: fd, path: path)
    }

    /// The file's current size in bytes (fstat).
    public func size() throws -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw LogError.io(operation: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// The file's modification time, 0 when fstat fails.
    public func modificationTimeMilliseconds() -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return 0 }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    /// Reads up to `count` bytes at `position`; fewer only at end of file.
    public func read(at position: Int, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(position + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if failure != 0 { throw LogError.io(operation: "pread", path: path, errno: failure) }
        return bytes
    }

    /// Writes all of `pieces`, in order, starting at `position`.
    public func write(_ pieces: [UnsafeRawBufferPointer], at position: Int) throws {
        var vectors = pieces.filter { $0.count > 0 }.map {
            iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
        }
        var offset = position
        var first = 0
        while first < vectors.count {
            let n = vectors[first...].withUnsafeBufferPointer {
                pwritev(descriptor, $0.baseAddress, Int32($0.count), off_t(offset))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io(operation: "pwritev", path: path, errno: errno)
            }
            offset += n
            var written = n
            while first < vectors.count, written >= vectors[first].iov_len {
                written -= vectors[first].iov_len
                first += 1
            }
            if written > 0 {
                vectors[first].iov_base += written
                vectors[first].iov_len -= written
            }
        }
    }

    /// Writes all of `bytes` at `position`.
    public func write(_ bytes: [UInt8], at position: Int) throws {
        try bytes.withUnsafeBytes { (buffer) throws in try write([buffer], at: position) }
    }

    /// Sets the file's size (ftruncate).
    public func truncate(to size: Int) throws {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw LogError.io(operation: "ftruncate", path: path, errno: errno) }
    }

    /// fdatasync: the data and the size reach the disk.
    public func sync() throws {
        guard fdatasync(descriptor) == 0 else { throw LogError.io(operation: "fdatasync", path: path, errno: errno) }
    }
}

/// Directory operations the log needs, with errors carrying the path.
public enum FileSystem {
    /// Whether anything exists at `path`.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates `path` and any missing parents (mkdir -p).
    public static func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw LogError.io(operation: "mkdir", path: prefix, errno: errno)
            }
        }
    }

    /// The names in `directory` (without `.` and `..`), sorted.
    public static func contents(of directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw LogError.io(operation: "opendir", path: directory, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether `path` is a directory (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Unlinks `path`; a missing file is not an error.
    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw LogError.io(operation: "unlink", path: path, errno: errno) }
    }

    /// fsync of a directory, so that created, renamed and removed names are durable.
    public static func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw LogError.io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw LogError.io(operation: "fsync", path: path, errno: errno) }
    }

    /// Replaces `path` with `bytes` atomically: temp file, fsync, rename, directory fsync.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
        let temporary = path + LogFileNames.temporarySuffix
        let file = try FileHandle.open(temporary, create: true)
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
        try file.sync()
        guard rename(temporary, path) == 0 else { throw LogError.io(operation: "rename", path: temporary, errno: errno) }
        try syncDirectory(directory)
    }

    /// The whole contents of the file at `path`.
    public static func readWholeFile(_ path: String) throws -> [UInt8] {
        let file = try FileHandle.open(path, readOnly: true)
        return try file.read(at: 0, count: try file.size())
    }
}
