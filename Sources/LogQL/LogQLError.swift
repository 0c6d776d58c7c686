/// Where a token starts in the query text: 1-based line and column (in Unicode scalars).
public struct LogQLPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), col \(column)" }
}

/// A query the engine cannot run: a syntax or semantic error at a position, or (for
/// `kind == .evaluation`) a failure while evaluating, such as Loki's pipeline error.
public struct LogQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The text does not follow the grammar.
        case syntax
        /// Well formed but meaningless: a bad regex, a zero range, `topk(x, …)`.
        case semantic
        /// Raised while running the query (pipeline errors, log query as instant query).
        case evaluation
    }

    public var kind: Kind
    public var message: String
    public var position: LogQLPosition

    public init(_ kind: Kind, _ message: String, at position: LogQLPosition) {
        self.kind = kind
        self.message = message
        self.position = position
    }

    /// Loki's shape: `parse error at line 1, col 15: syntax error: unexpected …`.
    public var description: String {
        switch kind {
        case .syntax, .semantic: return "parse error at line \(position.line), col \(position.column): \(message)"
        case .evaluation: return message
        }
    }
}

/// A request beyond the engine's limits (entries, series, points, time range) or with
/// a meaningless shape (non-positive step or limit, end before start). The HTTP layer
/// answers it with 400, distinct from parse errors.
public struct LogQLLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case entries, series, pointsPerSeries, queryLength, invalidRequest
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Thrown when the caller's `isCancelled` returned true during evaluation.
public struct LogQLCancelled: Error, Sendable, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "query cancelled" }
}
