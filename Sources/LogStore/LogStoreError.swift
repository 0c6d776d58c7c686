/// A log store failure with its context. I/O failures surface as CommitLog's `LogError`.
public enum LogStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file's bytes do not verify (checksum, bounds, magic); `path` says which.
    case corrupt(path: String, reason: String)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case let .corrupt(path, reason): "corrupt log store file \(path): \(reason)"
        case .closed: "log store is closed"
        }
    }
}
