/// A node_exporter-style exclude regex (`--collector.*-exclude`), searched for anywhere in
/// the name like Go's `MatchString`, so its anchored defaults and user patterns carry over.
/// Kept as validated text because Swift's `Regex` is not Sendable; compiled per collection.
public struct ExcludePattern: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let pattern: String

    /// Rejects a pattern Swift's regex engine cannot compile.
    public init(_ pattern: String) throws(InputError) {
        do {
            _ = try Regex(pattern)
        } catch {
            throw InputError("host metrics: invalid exclude pattern \(pattern): \(error)")
        }
        self.pattern = pattern
    }

    /// For patterns written in source, where a typo is a programming error. Note that
    /// `ExcludePattern("…")` with a literal also lands here; configuration values are
    /// Strings and go through the throwing init.
    public init(stringLiteral pattern: String) {
        do {
            try self.init(pattern)
        } catch {
            preconditionFailure(error.description)
        }
    }

    public var description: String { pattern }

    /// The compiled form; `pattern` was validated, so this cannot fail.
    func compiled() -> Regex<AnyRegexOutput> {
        do { return try Regex(pattern) } catch { preconditionFailure("validated pattern \(pattern) no longer compiles") }
    }
}
