/// Why a /proc file could not be read or understood: the file, the 1-based line (0 when
/// the whole file is at fault) and the cause, so one log line is enough to find it.
public struct ProcFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var line: Int
    public var reason: String

    public init(path: String, line: Int, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String {
        line > 0 ? "\(path) line \(line): \(reason)" : "\(path): \(reason)"
    }
}
