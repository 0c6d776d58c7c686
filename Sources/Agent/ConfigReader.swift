/// Reads one YAML mapping of a configuration file, remembering which keys were used so
/// that `finish()` can refuse the ones nobody asked for. Every error names the key's
/// path (`inputs[2].multiline.timeout`) and what was wrong with its value.
struct ConfigReader {
    let path: String
    private let pairs: [(key: String, value: YAMLNode)]
    private var used: Set<String> = []

    init(_ node: YAMLNode, path: String) throws {
        self.path = path
        guard let mapping = node.mapping else {
            throw AgentConfigError("\(path.isEmpty ? "the document" : path) must be a mapping")
        }
        var pairs: [(String, YAMLNode)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw AgentConfigError("\(path): keys must be strings") }
            pairs.append((name, value))
        }
        self.pairs = pairs
    }

    private func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func node(_ key: String) -> YAMLNode? {
        used.insert(key)
        guard let value = pairs.first(where: { $0.key == key })?.value else { return nil }
        if value.isNull { return nil }
        return value
    }

    func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    mutating func string(_ key: String) throws -> String? {
        guard let value = node(key) else { return nil }
        guard let text = value.string else { throw AgentConfigError("\(at(key)) must be a string") }
        return text
    }

    mutating func string(_ key: String, oneOf allowed: [String]) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard allowed.contains(text) else {
            throw AgentConfigError("\(at(key)): '\(text)' is not one of \(allowed.joined(separator: ", "))")
        }
        return text
    }

    mutating func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value = node(key) else { return nil }
        guard let text = value.string, let number = Int(text) else {
            throw AgentConfigError("\(at(key)) must be a whole number")
        }
        guard range.contains(number) else {
            throw AgentConfigError("\(at(key)): \(number) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let value = node(key) else { return nil }
        switch value.string?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw AgentConfigError("\(at(key)) must be true or false")
        }
    }

    /// `250ms`, `10s`, `5m`, `1h`, or a bare number of seconds.
    mutating func duration(_ key: String, range: ClosedRange<UInt64>) throws -> UInt64? {
        guard let value = node(key) else { return nil }
        guard let text = value.string, let nanoseconds = Self.parseDuration(text) else {
            throw AgentConfigError("\(at(key)) must be a duration such as 500ms, 10s, 5m or 1h")
        }
        guard range.contains(nanoseconds) else {
            throw AgentConfigError("\(at(key)): \(text) is outside \(Self.formatDuration(range.lowerBound))...\(Self.formatDuration(range.upperBound))")
        }
        return nanoseconds
    }

    /// `65536`, `64KiB`, `4MiB`, `1GiB` (also KB/MB/GB as powers of 1000).
    mutating func bytes(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value = node(key) else { return nil }
        guard let text = value.string, let count = Self.parseBytes(text) else {
            throw AgentConfigError("\(at(key)) must be a size such as 65536, 64KiB or 4MiB")
        }
        guard range.contains(count) else {
            throw AgentConfigError("\(at(key)): \(text) is outside \(range.lowerBound)...\(range.upperBound) bytes")
        }
        return count
    }

    /// A list of strings; a single string is accepted as a list of one.
    mutating func strings(_ key: String) throws -> [String]? {
        guard let value = node(key) else { return nil }
        if let text = value.string { return [text] }
        guard let sequence = value.sequence else { throw AgentConfigError("\(at(key)) must be a list of strings") }
        return try sequence.enumerated().map { index, item in
            guard let text = item.string else { throw AgentConfigError("\(at(key))[\(index)] must be a string") }
            return text
        }
    }

    mutating func stringMap(_ key: String) throws -> [String: String]? {
        guard let value = node(key) else { return nil }
        guard let mapping = value.mapping else { throw AgentConfigError("\(at(key)) must be a mapping of strings") }
        var result: [String: String] = [:]
        for (name, item) in mapping {
            guard let name = name.string, let text = item.string else {
                throw AgentConfigError("\(at(key)) must map strings to strings")
            }
            result[name] = text
        }
        return result
    }

    mutating func mapping(_ key: String) throws -> ConfigReader? {
        guard let value = node(key) else { return nil }
        return try ConfigReader(value, path: at(key))
    }

    mutating func list(_ key: String) throws -> [ConfigReader]? {
        guard let value = node(key) else { return nil }
        guard let sequence = value.sequence else { throw AgentConfigError("\(at(key)) must be a list") }
        return try sequence.enumerated().map { index, item in try ConfigReader(item, path: "\(at(key))[\(index)]") }
    }

    /// Refuses keys that no reader asked for.
    func finish() throws {
        for pair in pairs where !used.contains(pair.key) {
            let known = used.sorted().joined(separator: ", ")
            throw AgentConfigError("unknown key '\(at(pair.key))' (known here: \(known))")
        }
    }

    static func parseDuration(_ text: String) -> UInt64? {
        let trimmed = text.trimmingWhitespace
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        func nanoseconds(_ number: Double?, _ scale: Double) -> UInt64? {
            // Checked before converting: UInt64(_:) traps on values it cannot hold.
            guard let number, number >= 0, number.isFinite, number * scale < 1.8e19 else { return nil }
            return UInt64(number * scale)
        }
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            return nanoseconds(Double(trimmed.dropLast(suffix.count)), scale)
        }
        return nanoseconds(Double(trimmed), 1e9)
    }

    static func formatDuration(_ nanoseconds: UInt64) -> String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        return "\(nanoseconds / 1_000_000)ms"
    }

    static func parseBytes(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count).trimmingWhitespace), number >= 0, number.isFinite,
                  number * Double(scale) < 9.2e18 else { return nil }
            return Int(number * Double(scale))
        }
        return Int(trimmed)
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

/// A configuration problem, worded for the person editing the file.
public struct AgentConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
