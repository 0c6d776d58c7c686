/// What to replay (the body of `POST /api/sluice/v1/replay`, `sluice replay`'s options).
public struct ReplayRequest: Sendable {
    /// A rule file sent with the request: its name (used as the rules' `file`) and YAML text.
    public struct RuleText: Sendable {
        public var name: String
        public var content: String

        public init(name: String, content: String) {
            self.name = name
            self.content = content
        }
    }

    public var topic: String
    /// The window, milliseconds since the epoch, both ends inclusive.
    public var from: Int64
    public var to: Int64
    /// Rule files to evaluate; nil means the appliance's configured rule files.
    public var rules: [RuleText]?
    /// Re-publish the window's records to this topic instead of (or, with `rules`, besides)
    /// evaluating rules.
    public var intoTopic: String?

    public init(topic: String, from: Int64, to: Int64, rules: [RuleText]? = nil, intoTopic: String? = nil) {
        self.topic = topic
        self.from = from
        self.to = to
        self.rules = rules
        self.intoTopic = intoTopic
    }

    /// Rules are evaluated when given, or when there is nothing else to do.
    var evaluatesRules: Bool { rules != nil || intoTopic == nil }
}

/// Why a replay cannot start, by the HTTP status it maps to.
public struct ReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A bad window, topic name or rule file (400).
        case badRequest
        /// No such topic (404).
        case notFound
        /// Too many replays already running (429).
        case busy
        /// Reading or writing failed (500).
        case failed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
