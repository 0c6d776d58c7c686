import Glibc

/// Reads a whole /proc or /sys file with open/read: their stat size is 0, so the file is
/// read until EOF, and a cap keeps a wrong root (a large regular file) from growing memory.
enum ProcFileReader {
    /// Larger than any real /proc file this input reads (/proc/stat on 1024 CPUs is ~200 KiB).
    static let maximumSize = 16 << 20

    static func read(_ path: String) throws(ProcFileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProcFileError(path: path, line: 0, reason: systemError(errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ProcFileError(path: path, line: 0, reason: systemError(errno))
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= maximumSize else {
                throw ProcFileError(path: path, line: 0, reason: "larger than \(maximumSize) bytes")
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    static func systemError(_ code: Int32) -> String { String(cString: strerror(code)) }
}
