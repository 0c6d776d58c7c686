/// A coding key for any name: lets a config type list the keys it was given.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws when the mapping holds a key outside `allowed`, naming it, its path and
    /// what is allowed: a misspelt key must not silently fall back to a default.
    func refuseUnknownKeys(allowed: [String]) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            var place = ""
            for parent in codingPath {
                if let index = parent.intValue { place += "[\(index)]" } else { place += (place.isEmpty ? "" : ".") + parent.stringValue }
            }
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: codingPath + [key],
                debugDescription: "unknown key '\(key.stringValue)'\(place.isEmpty ? "" : " in " + place) (known here: \(allowed.joined(separator: ", ")))"))
        }
    }
}

/// A configuration value that decodes but makes no sense (a bad regex, an empty topic).
public struct PipelineConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
