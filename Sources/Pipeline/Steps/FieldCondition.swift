import SluiceModel

/// A test on one field, as filter, route and metric steps write it in YAML:
/// `{field: level, equals: error}`, `{field: status, greater_than: 499}`,
/// `{field: path, matches: "^/api/"}`, `{field: user, exists: true}`. The field
/// `message` is the message text. A list of conditions holds when all of them hold.
public struct FieldCondition: Sendable, Decodable {
    public enum Test: Sendable {
        case equals(String)
        case notEquals(String)
        case matches(Regex<AnyRegexOutput>)
        case notMatches(Regex<AnyRegexOutput>)
        case exists(Bool)
        case greaterThan(Double)
        case lessThan(Double)
    }

    public var field: String
    public var test: Test

    enum CodingKeys: String, CodingKey, CaseIterable {
        case field, equals, not_equals, matches, not_matches, exists, greater_than, less_than
    }

    public init(field: String, test: Test) {
        self.field = field
        self.test = test
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        field = try container.decode(String.self, forKey: .field)
        let tests = CodingKeys.allCases.filter { $0 != .field && container.contains($0) }
        guard tests.count == 1, let key = tests.first else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath,
                debugDescription: "a condition on '\(field)' needs exactly one of equals, not_equals, matches, not_matches, exists, greater_than, less_than"))
        }
        func regex() throws -> Regex<AnyRegexOutput> {
            let pattern = try container.decode(String.self, forKey: key)
            do { return try Regex(pattern) } catch {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "invalid regex \(pattern): \(error)")
            }
        }
        switch key {
        case .equals: test = .equals(try container.decode(String.self, forKey: key))
        case .not_equals: test = .notEquals(try container.decode(String.self, forKey: key))
        case .matches: test = .matches(try regex())
        case .not_matches: test = .notMatches(try regex())
        case .exists: test = .exists(try container.decode(Bool.self, forKey: key))
        case .greater_than: test = .greaterThan(try container.decode(Double.self, forKey: key))
        case .less_than: test = .lessThan(try container.decode(Double.self, forKey: key))
        case .field: fatalError("unreachable: filtered out above")
        }
    }

    /// Whether the event passes. A missing field is the empty string (equals "" holds);
    /// numeric tests fail on a missing or non-numeric field.
    public func holds(for event: PipelineEvent) -> Bool {
        let value: FieldValue? = field == "message" ? .string(event.messageText) : event.fields[field] ?? event.labels[field].map(FieldValue.string)
        let text = value?.text ?? ""
        switch test {
        case .equals(let expected): return text == expected
        case .notEquals(let expected): return text != expected
        case .matches(let regex): return (try? regex.firstMatch(in: text)) != nil
        case .notMatches(let regex): return (try? regex.firstMatch(in: text)) == nil
        case .exists(let expected): return (value != nil) == expected
        case .greaterThan(let bound): return Self.number(value).map { $0 > bound } ?? false
        case .lessThan(let bound): return Self.number(value).map { $0 < bound } ?? false
        }
    }

    static func number(_ value: FieldValue?) -> Double? {
        switch value {
        case .int(let number)?: Double(number)
        case .double(let number)?: number
        case .string(let text)?: Double(text)
        default: nil
        }
    }
}

/// One condition or a list of them (all must hold), as a YAML value.
public struct Conditions: Sendable, Decodable {
    public var all: [FieldCondition]

    public init(_ all: [FieldCondition]) { self.all = all }

    public init(from decoder: any Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            all = []
            while !list.isAtEnd { all.append(try list.decode(FieldCondition.self)) }
        } else {
            all = [try FieldCondition(from: decoder)]
        }
    }

    public func hold(for event: PipelineEvent) -> Bool { all.allSatisfy { $0.holds(for: event) } }
}
