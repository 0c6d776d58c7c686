import SluiceModel
@testable import LogQL

/// A brute-force LogQL evaluator for comparison: it shares only the parsed AST with the
/// engine. Every window at every step is evaluated from scratch over the whole array,
/// with its own JSON and logfmt readers and value parsers.
public struct ReferenceEvaluator {
    public let entries: [LogEntry]

    public init(entries: [LogEntry]) { self.entries = entries }

    // MARK: Log queries

    public func logQuery(_ query: LogQLLogQuery, start: Int64, end: Int64, limit: Int, backward: Bool) -> LogQLResult {
        var selected = entries.filter { entry in
            entry.timestamp.nanosecondsSinceEpoch >= start && entry.timestamp.nanosecondsSinceEpoch < end
                && query.matchers.allSatisfy { $0.matches(entry.stream) }
        }
        selected.sort(by: LogEntry.precedes)
        if backward { selected.reverse() }
        var streams: [LogQLStream] = []
        var taken = 0
        for entry in selected where taken < limit {
            guard let (labels, line) = run(query.stages, entry) else { continue }
            taken += 1
            if let index = streams.firstIndex(where: { $0.labels == labels }) {
                streams[index].entries.append(LogQLStreamEntry(timestamp: entry.timestamp, line: line))
            } else {
                streams.append(LogQLStream(labels: labels, entries: [LogQLStreamEntry(timestamp: entry.timestamp, line: line)]))
            }
        }
        return .streams(streams.sorted { $0.labels.sortKey < $1.labels.sortKey })
    }

    // MARK: Metric queries

    struct PipelineFailure: Error, Equatable { var message: String }

    /// The query's value at each time; throws the engine's pipeline error text.
    public func metric(_ query: LogQLMetricQuery, times: [Int64]) throws -> [[Labels: Double]] {
        var errorKeys: [String: (Labels, LogQLPosition)] = [:]
        var vectors: [[Labels: Double]] = []
        for time in times {
            vectors.append(evaluate(query, at: time, errors: &errorKeys))
        }
        if let worst = errorKeys.keys.min() {
            let (labels, position) = errorKeys[worst]!
            let error = labels["__error__"]!
            throw LogQLError(.evaluation, "pipeline error: '\(error)' for series: '\(labels.sortKey)'. Use a label filter to intentionally skip this error (e.g | __error__!=\"\(error)\"); to skip all potential errors, match empty errors (e.g | __error__=\"\")", at: position)
        }
        return vectors
    }

    private func evaluate(_ query: LogQLMetricQuery, at time: Int64, errors: inout [String: (Labels, LogQLPosition)]) -> [Labels: Double] {
        switch query {
        case .range(let range):
            return rangeVector(range, keep: nil, at: time, errors: &errors)
        case .vector(let aggregation):
            let input: [Labels: Double]
            if aggregation.operation == .sum, case .range(let range) = aggregation.inner {
                input = rangeVector(range, keep: aggregation.grouping ?? .by([]), at: time, errors: &errors)
            } else {
                input = evaluate(aggregation.inner, at: time, errors: &errors)
            }
            return aggregate(aggregation, input)
        }
    }

    private func rangeVector(_ range: LogQLRangeAggregation, keep: LogQLGrouping?, at time: Int64,
                             errors: inout [String: (Labels, LogQLPosition)]) -> [Labels: Double] {
        var counts: [Labels: Int] = [:]
        var sizes: [Labels: Int] = [:]
        for entry in entries where entry.timestamp.nanosecondsSinceEpoch > time - range.rangeNanoseconds
            && entry.timestamp.nanosecondsSinceEpoch <= time && range.query.matchers.allSatisfy({ $0.matches(entry.stream) }) {
            guard let (labels, line) = run(range.query.stages, entry) else { continue }
            var key = labels
            switch keep {
            case nil: break
            case .by(let names)?: key = Labels(Dictionary(uniqueKeysWithValues: labels.filter { names.contains($0.name) }.map { ($0.name, $0.value) }))
            case .without(let names)?: key = Labels(Dictionary(uniqueKeysWithValues: labels.filter { !names.contains($0.name) }.map { ($0.name, $0.value) }))
            }
            counts[key, default: 0] += 1
            sizes[key, default: 0] += line.count
        }
        let seconds = Double(range.rangeNanoseconds) / 1e9
        var vector: [Labels: Double] = [:]
        for (key, count) in counts {
            if key["__error__"] != nil { errors[key.sortKey] = (key, range.position) }
            switch range.operation {
            case .countOverTime: vector[key] = Double(count)
            case .rate: vector[key] = Double(count) / seconds
            case .bytesOverTime: vector[key] = Double(sizes[key]!)
            case .bytesRate: vector[key] = Double(sizes[key]!) / seconds
            }
        }
        return vector
    }

    private func aggregate(_ aggregation: LogQLVectorAggregation, _ input: [Labels: Double]) -> [Labels: Double] {
        let ordered = input.sorted { $0.key.sortKey < $1.key.sortKey }
        func groupKey(_ labels: Labels) -> Labels {
            switch aggregation.grouping {
            case nil: return Labels()
            case .by(let names)?: return Labels(Dictionary(uniqueKeysWithValues: labels.filter { names.contains($0.name) }.map { ($0.name, $0.value) }))
            case .without(let names)?: return Labels(Dictionary(uniqueKeysWithValues: labels.filter { !names.contains($0.name) }.map { ($0.name, $0.value) }))
            }
        }
        var groups: [Labels: [(Labels, Double)]] = [:]
        for (labels, value) in ordered { groups[groupKey(labels), default: []].append((labels, value)) }
        var output: [Labels: Double] = [:]
        for (key, members) in groups {
            let values = members.map(\.1)
            switch aggregation.operation {
            case .sum: output[key] = values.dropFirst().reduce(values[0], +)
            case .avg: output[key] = values.dropFirst().reduce(values[0], +) / Double(values.count)
            case .count: output[key] = Double(values.count)
            case .min: output[key] = values.dropFirst().reduce(values[0]) { $1 < $0 ? $1 : $0 }
            case .max: output[key] = values.dropFirst().reduce(values[0]) { $1 > $0 ? $1 : $0 }
            case .topk, .bottomk:
                let top = aggregation.operation == .topk
                let sorted = members.sorted { lhs, rhs in
                    if lhs.1 != rhs.1 { return top ? lhs.1 > rhs.1 : lhs.1 < rhs.1 }
                    return lhs.0.sortKey < rhs.0.sortKey
                }
                for (labels, value) in sorted.prefix(aggregation.parameter!) { output[labels] = value }
            }
        }
        return output
    }

    // MARK: Pipeline

    /// The entry's result labels and line, or nil when a stage drops it.
    func run(_ stages: [LogQLStage], _ entry: LogEntry) -> (Labels, [UInt8])? {
        var state = State(entry: entry)
        for stage in stages {
            switch stage {
            case .lineFilter(let filter):
                let text = String(decoding: state.line, as: UTF8.self)
                let hit: Bool
                switch filter.op {
                case .contains, .notContains:
                    hit = filter.pattern.isEmpty || Self.bytesContain(state.line, Array(filter.pattern.utf8))
                case .matches, .notMatches:
                    hit = (try? filter.regex!.firstMatch(in: text)) != nil
                }
                if hit != (filter.op == .contains || filter.op == .matches) { return nil }
            case .json:
                ReferenceJSON.extract(&state)
            case .logfmt:
                ReferenceLogfmt.extract(&state)
            case .regexp(let parser):
                if let match = try? parser.regex.firstMatch(in: String(decoding: state.line, as: UTF8.self)) {
                    for name in parser.names { state.parsed(name, match.output[name]?.substring.map(String.init) ?? "") }
                }
            case .labelFilter(let filter):
                if !Self.keep(filter, &state) { return nil }
            case .lineFormat(let template):
                var out = ""
                for segment in template.segments {
                    switch segment {
                    case .text(let bytes): out += String(decoding: bytes, as: UTF8.self)
                    case .label(let name): out += state.get(name) ?? ""
                    case .line: out += String(decoding: state.line, as: UTF8.self)
                    case .timestamp: out += Self.goTime(state.timestamp)
                    }
                }
                state.line = Array(out.utf8)
            }
        }
        var final: [String: String] = [:]
        for (name, value) in state.labels where !value.isEmpty { final[name] = value }
        if let error = state.error { final["__error__"] = error }
        return (Labels(final), state.line)
    }

    public static func bytesContain(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
            return true
        }
        return false
    }

    static func goTime(_ timestamp: Timestamp) -> String {
        let text = timestamp.rfc3339
        var fraction = String(text.dropFirst(20).dropLast())
        while fraction.last == "0" { fraction.removeLast() }
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8)) + (fraction.isEmpty ? "" : "." + fraction) + " +0000 UTC"
    }

    struct State {
        var stream: Labels
        var labels: [String: String]
        var error: String?
        var line: [UInt8]
        var timestamp: Timestamp

        init(entry: LogEntry) {
            stream = entry.stream
            labels = [:]
            for pair in entry.stream { labels[pair.name] = pair.value }
            for pair in entry.metadata { labels[entry.stream[pair.name] == nil ? pair.name : pair.name + "_extracted"] = pair.value }
            line = entry.line
            timestamp = entry.timestamp
        }

        mutating func parsed(_ name: String, _ value: String) {
            labels[stream[name] == nil ? name : name + "_extracted"] = value
        }

        func get(_ name: String) -> String? { name == "__error__" ? error : labels[name] }
    }

    static func keep(_ filter: LogQLLabelFilter, _ state: inout State) -> Bool {
        func compare<T: Comparable>(_ name: String, _ op: LogQLLabelFilter.Comparison, _ threshold: T, _ convert: (String) -> T?) -> Bool {
            guard let text = state.get(name) else { return false }
            guard let value = convert(text) else {
                if state.error == nil { state.error = "LabelFilterErr" }
                return true
            }
            switch op {
            case .equal: return value == threshold
            case .notEqual: return value != threshold
            case .greater: return value > threshold
            case .greaterOrEqual: return value >= threshold
            case .less: return value < threshold
            case .lessOrEqual: return value <= threshold
            }
        }
        switch filter {
        case .string(let matcher): return matcher.matches(value: state.get(matcher.name) ?? "")
        case .number(let name, let op, let threshold): return compare(name, op, threshold, ReferenceValues.float)
        case .duration(let name, let op, let threshold): return compare(name, op, threshold, ReferenceValues.duration)
        case .bytes(let name, let op, let threshold): return compare(name, op, threshold, ReferenceValues.bytes)
        case .and(let lhs, let rhs):
            let left = keep(lhs, &state)
            let right = keep(rhs, &state)
            return left && right
        case .or(let lhs, let rhs):
            return keep(lhs, &state) || keep(rhs, &state)
        }
    }
}

/// Value conversions written from the Go documentation, independent of the engine's.
enum ReferenceValues {
    static func float(_ text: String) -> Double? {
        guard let first = text.first, !first.isWhitespace, !text.last!.isWhitespace, !text.contains("_"),
              let value = Double(text), value.isFinite || ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"].contains(text.lowercased())
        else { return nil }
        return value
    }

    /// time.ParseDuration for the shapes the corpus uses.
    static func duration(_ text: String) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" { negative = rest.first == "-"; rest = rest.dropFirst() }
        if rest == "0" { return 0 }
        if rest.isEmpty { return nil }
        let units: [(String, UInt64)] = [("ns", 1), ("us", 1000), ("µs", 1000), ("μs", 1000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        var total: UInt64 = 0
        while !rest.isEmpty {
            let integer = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(integer.count)
            var fraction = Substring("")
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(fraction.count)
            }
            if integer.isEmpty && fraction.isEmpty { return nil }
            let unitText = rest.prefix { !($0.isASCII && $0.isNumber) && $0 != "." }
            rest = rest.dropFirst(unitText.count)
            guard let unit = units.first(where: { $0.0 == unitText })?.1, integer.count < 18, fraction.count < 18 else { return nil }
            var value = (UInt64(integer) ?? 0) * unit
            if let f = UInt64(fraction), f > 0 {
                var scale = 1.0
                for _ in 0..<fraction.count { scale *= 10 }
                value += UInt64(Double(f) * (Double(unit) / scale))
            }
            total += value
        }
        return negative ? -Int64(total) : Int64(total)
    }

    /// go-humanize's ParseBytes for the shapes the corpus uses.
    static func bytes(_ text: String) -> UInt64? {
        let number = text.prefix { ($0.isASCII && $0.isNumber) || $0 == "." || $0 == "," }
        let unit = text.dropFirst(number.count).trimmingCharacters(in: " ").lowercased()
        let table: [String: UInt64] = ["": 1, "b": 1, "k": 1000, "kb": 1000, "ki": 1024, "kib": 1024, "m": 1_000_000, "mb": 1_000_000,
                                       "mi": 1 << 20, "mib": 1 << 20, "g": 1_000_000_000, "gb": 1_000_000_000, "gi": 1 << 30, "gib": 1 << 30]
        guard let value = Double(number.replacingOccurrences(of: ",", with: "")), let multiplier = table[unit] else { return nil }
        return UInt64(value * Double(multiplier))
    }
}

private extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set || text.first == "\t" { text = text.dropFirst() }
        while text.last == set || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
