import Glibc

/// The agent's few file-system needs, in one place: whole-file reads, folders, atomic
/// replacement and durable names. (CommitLog has its own `FileSystem` for the same
/// operations; the agent does not link the appliance's storage layer.)
enum AgentFiles {
    /// The whole file, or nil with errno set.
    static func readWholeFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if got == 0 { return result }
            result.append(contentsOf: chunk[0..<got])
        }
    }

    static func makeDirectory(_ directory: String) throws {
        var partial = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o750) != 0 && errno != EEXIST {
                throw AgentConfigError("cannot create \(partial): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Temporary file, fsync, rename over the old one, fsync the folder.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw AgentConfigError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                throw AgentConfigError("cannot write \(temporary): \(reason)")
            }
            written += result
        }
        guard fdatasync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw AgentConfigError("cannot sync \(temporary): \(reason)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            throw AgentConfigError("cannot rename \(temporary): \(String(cString: strerror(errno)))")
        }
        syncDirectory(path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/"))
    }

    /// fsync of a folder, so that created, renamed and removed names survive power loss.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// The names in a folder (without `.` and `..`); empty when it cannot be read.
    static func entryNames(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
