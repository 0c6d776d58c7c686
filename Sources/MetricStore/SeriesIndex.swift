import SluiceModel

/// A series' number within one open store: dense, assigned in order of first sight, never
/// reused while the store is open. Not stored on disk (blocks keep label sets); appending by
/// id saves hashing label sets on the hot path.
public struct MetricSeriesID: Hashable, Comparable, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The series index: label set → id, and postings (label name → value → ascending ids) so
/// that matchers select series by intersecting lists instead of scanning every label set.
///
/// Thread-safety: a value type kept under the store's lock.
struct SeriesIndex {
    /// Label sets by id. Series whose data retention removed stay (their ids may be cached
    /// by writers); readers leave out series without samples in the asked range.
    private(set) var labels: [Labels] = []
    private var ids: [Labels: UInt32] = [:]
    private var postings: [String: [String: [UInt32]]] = [:]

    var count: Int { labels.count }

    func id(of labels: Labels) -> UInt32? { ids[labels] }

    /// The id of `labels`, adding the series when it is new.
    mutating func insert(_ labels: Labels) -> UInt32 {
        if let id = ids[labels] { return id }
        let id = UInt32(self.labels.count)
        self.labels.append(labels)
        ids[labels] = id
        for pair in labels {
            // Ids only grow, so appending keeps every list ascending.
            postings[pair.name, default: [:]][pair.value, default: []].append(id)
        }
        return id
    }

    /// Ids of the series that every matcher accepts, ascending.
    func select(_ matchers: [LabelMatcher]) -> [UInt32] {
        // Matchers that reject a missing label select through postings; the others (`x=""`,
        // `x!="a"`, `x=~".*"`) can only filter what the first kind found.
        var lists: [[UInt32]] = []
        var filters: [LabelMatcher] = []
        for matcher in matchers {
            if matcher.matchesEmpty {
                filters.append(matcher)
                continue
            }
            guard let values = postings[matcher.name] else { return [] }
            if matcher.op == .equal {
                guard let list = values[matcher.value] else { return [] }
                lists.append(list)
                continue
            }
            var union: [UInt32] = []
            var parts = 0
            for (value, list) in values where matcher.matches(value: value) {
                union += list
                parts += 1
            }
            if parts > 1 {
                union.sort()
                union = Self.unique(union)
            }
            if union.isEmpty { return [] }
            lists.append(union)
        }
        var candidates: [UInt32]
        if lists.isEmpty {
            candidates = (0..<UInt32(labels.count)).map { $0 }
        } else {
            lists.sort { $0.count < $1.count }
            candidates = lists[0]
            for list in lists.dropFirst() {
                candidates = Self.intersect(candidates, list)
                if candidates.isEmpty { return [] }
            }
        }
        if !filters.isEmpty {
            candidates.removeAll { id in !filters.allSatisfy { $0.matches(labels[Int(id)]) } }
        }
        return candidates
    }

    /// Every label name, sorted.
    var labelNames: [String] { postings.keys.sorted() }

    /// The values `name` takes, sorted.
    func labelValues(_ name: String) -> [String] { postings[name].map { $0.keys.sorted() } ?? [] }

    static func intersect(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(min(a.count, b.count))
        var i = 0, j = 0
        while i < a.count, j < b.count {
            if a[i] < b[j] {
                i += 1
            } else if a[i] > b[j] {
                j += 1
            } else {
                result.append(a[i])
                i += 1
                j += 1
            }
        }
        return result
    }

    static func unique(_ sorted: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(sorted.count)
        for id in sorted where result.last != id { result.append(id) }
        return result
    }
}
