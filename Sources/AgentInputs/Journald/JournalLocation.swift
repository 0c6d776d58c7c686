/// Which journal the journald input reads.
public enum JournalLocation: Sendable, Equatable, CustomStringConvertible {
    /// This machine's journal (`/run/log/journal`, `/var/log/journal`), local entries only:
    /// journals forwarded from other machines are theirs to ship.
    case system
    /// Every journal file in a folder and in its machine-id subfolders (e.g. `/var/log/journal`),
    /// including files created there later by rotation.
    case directory(String)
    /// Exactly these journal files; files created later are not followed.
    case files([String])

    public var description: String {
        switch self {
        case .system: "the system journal"
        case .directory(let path): "journal directory \(path)"
        case .files(let paths): "journal files \(paths.joined(separator: ", "))"
        }
    }
}
