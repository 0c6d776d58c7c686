import SluiceModel

/// The dashboards the UI renders: one JSON file per dashboard in a folder
/// (`dashboards/hosts.json` is the dashboard `hosts`). Files are read and checked on each
/// request, so an edited file shows on the next reload and a broken one is named with the
/// place and nature of its mistake rather than rendered half.
///
/// A definition: `title`, optional `description`, `time` (default range), `refresh`,
/// `variables` (`name`, `label`, `values: {label, match}`, `multi`, `all`) and `panels`
/// (`title`, `type`, `unit`, `language`, `query`, `legend`, `width`). Thread-safe (no state).
struct DashboardCatalog: Sendable {
    let directory: String?

    static let panelTypes = ["line", "bar", "stat", "table", "logs"]
    static let units = ["none", "percent", "ratio", "bytes", "bytes/s", "seconds", "ops/s", "short"]
    static let languages = ["promql", "logql"]

    struct Entry {
        var name: String
        var title: String
        var description: String
        var problem: String?
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Every dashboard, sorted by name; a broken one is listed with its problem.
    func list() -> [Entry] {
        guard let directory else { return [] }
        return LocalFiles.glob(directory + "/*.json").map { path in
            let name = Self.name(of: path)
            do {
                let document = try Self.check(try LocalFiles.read(path), file: path)
                return Entry(name: name, title: document["title"]?.text ?? name, description: document["description"]?.text ?? "")
            } catch {
                return Entry(name: name, title: name, description: "", problem: "\(error)")
            }
        }
    }

    /// The definition's bytes as written, once they pass the checks; nil when there is no
    /// such dashboard.
    func definition(named name: String) throws(Problem) -> [UInt8]? {
        guard let directory, Self.isPlainName(name) else { return nil }
        let path = directory + "/" + name + ".json"
        guard LocalFiles.exists(path) else { return nil }
        let bytes: [UInt8]
        do { bytes = try LocalFiles.read(path) } catch { throw Problem(description: "\(error)") }
        _ = try Self.check(bytes, file: path)
        return bytes
    }

    static func name(of path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return file.hasSuffix(".json") ? String(file.dropLast(5)) : file
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.allSatisfy { $0 != UInt8(ascii: "/") && $0 >= 0x20 }
    }

    /// Parses and checks a definition; every mistake names the file and the place.
    static func check(_ bytes: [UInt8], file: String) throws(Problem) -> JSONValue {
        func fail(_ place: String, _ reason: String) -> Problem { Problem(description: "\(file): \(place): \(reason)") }
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch { throw Problem(description: "\(file): \(error)") }
        guard case .object = document else { throw fail("the document", "must be a JSON object") }
        guard let title = document["title"]?.text, !title.isEmpty else { throw fail("title", "a non-empty string is required") }
        for key in ["description", "time", "refresh"] where document[key] != nil && document[key]?.text == nil {
            throw fail(key, "must be a string")
        }
        var declared: Set<String> = []
        if let variables = document["variables"] {
            guard case .array(let items) = variables else { throw fail("variables", "must be a list") }
            for (index, item) in items.enumerated() {
                let place = "variables[\(index)]"
                guard let name = item["name"]?.text, isIdentifier(name) else {
                    throw fail(place + ".name", "a name of letters, digits and _ is required")
                }
                guard let values = item["values"], let label = values["label"]?.text, !label.isEmpty else {
                    throw fail(place + ".values", "{\"label\": <label name>, \"match\": <series selector>} is required")
                }
                _ = label
                if let match = values["match"], match.text == nil { throw fail(place + ".values.match", "must be a string") }
                declared.insert(name)
            }
        }
        guard case .array(let panels)? = document["panels"], !panels.isEmpty else {
            throw fail("panels", "a non-empty list is required")
        }
        for (index, panel) in panels.enumerated() {
            let place = "panels[\(index)]"
            guard case .object = panel else { throw fail(place, "must be an object") }
            guard panel["title"]?.text != nil else { throw fail(place + ".title", "a string is required") }
            guard let type = panel["type"]?.text, panelTypes.contains(type) else {
                throw fail(place + ".type", "'\(panel["type"]?.text ?? "")' is not one of \(panelTypes.joined(separator: ", "))")
            }
            let unit = panel["unit"]?.text ?? "none"
            guard units.contains(unit) else { throw fail(place + ".unit", "'\(unit)' is not one of \(units.joined(separator: ", "))") }
            let language = panel["language"]?.text ?? "promql"
            guard languages.contains(language) else {
                throw fail(place + ".language", "'\(language)' is not one of \(languages.joined(separator: ", "))")
            }
            if type == "logs", language != "logql" { throw fail(place + ".type", "a logs panel needs \"language\": \"logql\"") }
            guard let query = panel["query"]?.text, !query.isEmpty else { throw fail(place + ".query", "a non-empty string is required") }
            for used in variableNames(in: query) where !declared.contains(used) {
                throw fail(place + ".query", "uses $\(used), which is not among the variables")
            }
            if let legend = panel["legend"], legend.text == nil { throw fail(place + ".legend", "must be a string") }
            if let width = panel["width"] {
                guard case .number(let value) = width, value == value.rounded(), (1...12).contains(value) else {
                    throw fail(place + ".width", "must be a whole number of columns from 1 to 12")
                }
            }
        }
        return document
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return text.utf8.allSatisfy { isIdentifierByte($0) }
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }

    /// `$name` and `${name}` references in a query, in order.
    static func variableNames(in query: String) -> [String] {
        let bytes = Array(query.utf8)
        var names: [String] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "$") else {
                index += 1
                continue
            }
            var start = index + 1
            let braced = start < bytes.count && bytes[start] == UInt8(ascii: "{")
            if braced { start += 1 }
            var end = start
            while end < bytes.count, isIdentifierByte(bytes[end]) { end += 1 }
            if end > start { names.append(String(decoding: bytes[start..<end], as: UTF8.self)) }
            index = max(end, index + 1)
        }
        return names
    }
}

extension JSONValue {
    var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
