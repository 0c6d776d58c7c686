/// A metric store failure with its context. I/O failures surface as CommitLog's `LogError`.
public enum MetricStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file's bytes do not verify (checksum, bounds, magic, version); `path` says which.
    case corrupt(path: String, reason: String)
    /// A label set the store cannot index (no metric name, an invalid label name).
    case invalidLabels(String)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case let .corrupt(path, reason): "corrupt metric store file \(path): \(reason)"
        case let .invalidLabels(reason): "invalid series labels: \(reason)"
        case .closed: "metric store is closed"
        }
    }
}
