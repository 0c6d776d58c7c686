import Glibc

/// Finds the files an input should tail: every regular file matching one of `include`
/// (shell globs, `**` not supported) and none of `exclude`. An exclude pattern without a
/// `/` is matched against the file's name, one with a `/` against its whole path.
public struct FileDiscovery: Sendable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    /// A matching file with the `stat` taken when it was found.
    public struct Found: Sendable {
        public var path: String
        public var identity: FileIdentity
        public var size: Int64
    }

    public func scan() -> [Found] {
        var seen = Set<String>()
        var found: [Found] = []
        for pattern in include {
            var result = glob_t()
            defer { globfree(&result) }
            guard glob(pattern, 0, nil, &result) == 0 else { continue }
            for index in 0..<Int(result.gl_pathc) {
                guard let cPath = result.gl_pathv[index] else { continue }
                let path = String(cString: cPath)
                guard !seen.contains(path), !isExcluded(path) else { continue }
                var status = stat()
                guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { continue }
                seen.insert(path)
                found.append(Found(path: path, identity: FileIdentity(status), size: Int64(status.st_size)))
            }
        }
        return found
    }

    public func isExcluded(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return exclude.contains { pattern in
            fnmatch(pattern, pattern.contains("/") ? path : name, 0) == 0
        }
    }

    /// Folders to watch for new files: the part of each include pattern before its first
    /// wildcard component.
    public var watchedDirectories: [String] {
        var directories: [String] = []
        for pattern in include {
            var components = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            components.removeLast()
            if let wildcard = components.firstIndex(where: { $0.contains(where: { "*?[".contains($0) }) }) {
                components.removeSubrange(wildcard...)
            }
            let directory = components.isEmpty ? "." : (components.joined(separator: "/").isEmpty ? "/" : components.joined(separator: "/"))
            if !directories.contains(directory) { directories.append(directory) }
        }
        return directories
    }
}
