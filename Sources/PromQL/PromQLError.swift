/// A query the engine cannot run, in Prometheus's wording so that clients see the same
/// messages: a parse error at a byte offset of the query text, a request outside the
/// engine's limits, or a failure while evaluating (duplicate series in a match group…).
public struct PromQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The text does not follow the grammar or does not type-check (HTTP 400, `bad_data`).
        case parse
        /// A request the engine refuses before evaluating: too many steps, a non-positive
        /// step, end before start, a range query over a string (HTTP 400, `bad_data`).
        case badRequest
        /// Raised while evaluating: many-to-many matching, duplicate label sets, a bad
        /// regular expression in `label_replace` (Prometheus answers 422, `execution`).
        case execution
        /// The caller's deadline passed while evaluating (Prometheus answers 503, `timeout`).
        case timeout
    }

    public var kind: Kind
    /// What went wrong, without the position prefix.
    public var message: String
    /// For parse errors, the byte offset in the query text where the offending item starts.
    public var position: Int?
    /// For parse errors, the query text (to turn `position` into line and column).
    public var query: String?

    public init(kind: Kind, message: String, position: Int? = nil, query: String? = nil) {
        self.kind = kind
        self.message = message
        self.position = position
        self.query = query
    }

    static func parse(_ message: String, at position: Int, in query: String) -> PromQLError {
        PromQLError(kind: .parse, message: message, position: position, query: query)
    }

    static func execution(_ message: String) -> PromQLError {
        PromQLError(kind: .execution, message: message)
    }

    /// 1-based line and column (in bytes) of `position`, as Prometheus counts them.
    public var lineAndColumn: (line: Int, column: Int)? {
        guard let position, let query else { return nil }
        let bytes = Array(query.utf8)
        guard position >= 0, position <= bytes.count else { return nil }
        var line = 1
        var lastLineBreak = -1
        for index in 0..<position where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lastLineBreak = index
        }
        return (line, position - lastLineBreak)
    }

    /// Prometheus's shape: `1:14: parse error: unexpected <op:^>`; other kinds are the message.
    public var description: String {
        guard kind == .parse else { return message }
        guard let (line, column) = lineAndColumn else { return "invalid position: parse error: \(message)" }
        return "\(line):\(column): parse error: \(message)"
    }
}
