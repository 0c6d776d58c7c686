/// The fields a parser extracted, in the order they appear in the line: order matters
/// to people reading an event, and a list is cheaper than a dictionary for the handful
/// of fields a log line has. Duplicate names are kept; lookups take the last one, as
/// JSON decoders do.
public struct ParsedFields: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// One named value.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: FieldValue

        public init(_ name: String, _ value: FieldValue) {
            self.name = name
            self.value = value
        }
    }

    public internal(set) var fields: [Field]

    public init() { fields = [] }

    public init(_ fields: [Field]) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        fields = elements.map { Field($0.0, $0.1) }
    }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> Field { fields[position] }

    /// The last value named `name`, or nil.
    public subscript(name: String) -> FieldValue? {
        fields.last { $0.name == name }?.value
    }

    public mutating func append(_ name: String, _ value: FieldValue) {
        fields.append(Field(name, value))
    }

    /// The last value whose name is one of `names` (compared ignoring ASCII case), trying
    /// the names in order: `level` wins over `severity`.
    /// Compares without allocating (this runs for every field of every event).
    static func equalIgnoringASCIICase(_ name: String, lowercased: String) -> Bool {
        var other = lowercased.utf8.makeIterator()
        for byte in name.utf8 {
            guard let expected = other.next() else { return false }
            let folded = byte >= 65 && byte <= 90 ? byte + 32 : byte
            if folded != expected { return false }
        }
        return other.next() == nil
    }

    func first(namedIgnoringCase names: [String]) -> FieldValue? {
        for name in names {
            if let field = fields.last(where: { Self.equalIgnoringASCIICase($0.name, lowercased: name) }) { return field.value }
        }
        return nil
    }
}
