/// A commit log failure with its context.
public enum LogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The requested offset is outside [log start, log end].
    case offsetOutOfRange(requested: Int64, logStart: Int64, logEnd: Int64)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// The batch cannot go into this log (too large for a segment, offsets overflow).
    case batchRejected(String)
    /// The log was closed, or an earlier write failed and left it read-only.
    case unavailable(String)

    public var description: String {
        switch self {
        case let .offsetOutOfRange(requested, start, end):
            "offset \(requested) is out of range [\(start), \(end)]"
        case let .io(operation, path, code):
            "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
        case .batchRejected(let why): "batch rejected: \(why)"
        case .unavailable(let why): "log unavailable: \(why)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
