import Glibc
import SluiceModel

/// A file operation that failed: which, on what path, and errno's text.
public struct AlertingFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(_ operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}

/// The little file I/O alerting needs, on Glibc (no Foundation in this target).
enum AlertingFiles {
    static func read(_ path: String) throws(AlertingFileError) -> [UInt8] {
        do { return try LocalFiles.read(path) } catch { throw AlertingFileError(error.operation, path: error.path, errno: error.errno) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Replaces `path` durably: a temporary file beside it is written and fsynced, renamed
    /// over `path`, and the folder fsynced, so a crash leaves the old or the new file whole.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(AlertingFileError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AlertingFileError("open", path: temporary, errno: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let failure = errno
                close(descriptor)
                throw AlertingFileError("write", path: temporary, errno: failure)
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let failure = errno
            close(descriptor)
            throw AlertingFileError("fsync", path: temporary, errno: failure)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw AlertingFileError("rename", path: temporary, errno: errno) }
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let folderDescriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// The paths matching a shell pattern, sorted (`etc/rules/*.yml`).
    static func glob(_ pattern: String) -> [String] { LocalFiles.glob(pattern) }
}
