import Foundation

/// A folder under the system's temporary directory, removed when the value goes away.
public final class TemporaryDirectory {
    public let path: String

    public init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "sluice-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside this folder.
    public func sub(_ name: String) -> String { path + "/" + name }
}
