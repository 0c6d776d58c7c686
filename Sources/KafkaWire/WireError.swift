/// A malformed or truncated structure on the wire, with where it was found.
public struct WireError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public var message: String
    /// Byte offset within the buffer being read.
    public var offset: Int

    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}
