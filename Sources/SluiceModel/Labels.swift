/// A label set: name → value pairs kept sorted by name, so equal sets compare and hash
/// equal and serialise identically (Prometheus's ordering).
public struct Labels: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(name: String, value: String)]

    public init() { pairs = [] }

    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { (name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    /// From pairs in any order; of repeated names the last wins. Sorts in place (an
    /// insertion sort: stable, and label sets are small), so building an entry's labels
    /// allocates nothing beyond the array it is given.
    public init(unsortedPairs: [(name: String, value: String)]) {
        var sorted = unsortedPairs
        if sorted.count > 1 {
            for position in 1..<sorted.count {
                var index = position
                while index > 0, sorted[index - 1].name > sorted[index].name {
                    sorted.swapAt(index - 1, index)
                    index -= 1
                }
            }
            // Equal names are adjacent in arrival order: keep the last of each run.
            var index = sorted.count - 1
            while index > 0 {
                if sorted[index - 1].name == sorted[index].name { sorted.remove(at: index - 1) }
                index -= 1
            }
        }
        pairs = sorted
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public subscript(name: String) -> String? {
        get { pairs.first { $0.name == name }?.value }
        set {
            if let index = pairs.firstIndex(where: { $0.name == name }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                let insertAt = pairs.firstIndex { $0.name > name } ?? pairs.count
                pairs.insert((name, newValue), at: insertAt)
            }
        }
    }

    public var isEmpty: Bool { pairs.isEmpty }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { pairs.makeIterator() }

    public static func == (lhs: Labels, rhs: Labels) -> Bool {
        lhs.pairs.count == rhs.pairs.count
            && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }

    /// `{"a":"1","b":"2"}`
    public func writeJSON(to writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "{"))
        for (index, pair) in pairs.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.key(pair.name)
            writer.string(pair.value)
        }
        writer.raw(UInt8(ascii: "}"))
    }
}
