/// A parsed /proc file: a pure function of its text, so parsers are tested on fixtures
/// and the collector alone does I/O.
public protocol ProcFile: Sendable {
    /// Where the file lives under the proc root, e.g. `stat` or `net/dev`.
    static var relativePath: String { get }

    /// Parses the whole file; `path` only names the file in errors.
    static func parse(_ bytes: [UInt8], path: String) throws(ProcFileError) -> Self
}

extension ProcFile {
    /// The file's usual name, for errors when the text did not come from disk.
    public static var defaultPath: String { "/proc/" + relativePath }

    public static func parse(_ bytes: [UInt8]) throws(ProcFileError) -> Self {
        try parse(bytes, path: defaultPath)
    }

    public static func parse(_ text: String, path: String = Self.defaultPath) throws(ProcFileError) -> Self {
        try parse(Array(text.utf8), path: path)
    }
}
