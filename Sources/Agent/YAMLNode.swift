import CYAML

/// A YAML document as plain values, read with libyaml. The agent reads its configuration
/// with this rather than Yams, whose Swift layer needs Foundation: without Foundation the
/// agent's binary is a fraction of the size and its idle memory with it.
///
/// Scalars stay text (no implicit typing): `ConfigReader` parses numbers, booleans,
/// durations and sizes itself, with errors that name the key.
indirect enum YAMLNode: Sendable {
    /// `plain` is false for quoted and block scalars (so `"null"` stays a string).
    case scalar(String, plain: Bool)
    case mapping([(key: YAMLNode, value: YAMLNode)])
    case sequence([YAMLNode])

    var string: String? {
        if case .scalar(let text, _) = self { return text }
        return nil
    }

    var mapping: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let pairs) = self { return pairs }
        return nil
    }

    var sequence: [YAMLNode]? {
        if case .sequence(let items) = self { return items }
        return nil
    }

    /// `~`, `null` or nothing, unquoted.
    var isNull: Bool {
        if case .scalar(let text, true) = self { return ["", "~", "null", "Null", "NULL"].contains(text) }
        return false
    }

    /// Parses one document (nil when the text holds none). Errors give line and column.
    static func parse(_ text: String) throws -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw AgentConfigError("cannot start the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
                    throw AgentConfigError("not valid YAML: \(problem) at line \(parser.problem_mark.line + 1), column \(parser.problem_mark.column + 1)")
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return builder.document }
                if event.type == YAML_DOCUMENT_END_EVENT, builder.document != nil { return builder.document }
                try builder.handle(&event)
            }
        }
    }

    /// Turns libyaml's events into nodes, resolving anchors and aliases.
    private struct Builder {
        enum Open {
            case mapping([YAMLNode], anchor: String?)
            case sequence([YAMLNode], anchor: String?)
        }

        var stack: [Open] = []
        var anchors: [String: YAMLNode] = [:]
        var document: YAMLNode?

        mutating func handle(_ event: inout yaml_event_t) throws {
            switch event.type {
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                let node = YAMLNode.scalar(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE || scalar.style == YAML_ANY_SCALAR_STYLE)
                add(node, anchor: Self.text(scalar.anchor))
            case YAML_SEQUENCE_START_EVENT:
                stack.append(.sequence([], anchor: Self.text(event.data.sequence_start.anchor)))
            case YAML_MAPPING_START_EVENT:
                stack.append(.mapping([], anchor: Self.text(event.data.mapping_start.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let open = stack.popLast() else { throw AgentConfigError("not valid YAML: unbalanced collection") }
                switch open {
                case .sequence(let items, let anchor):
                    add(.sequence(items), anchor: anchor)
                case .mapping(let flat, let anchor):
                    var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                    var index = 0
                    while index + 1 < flat.count {
                        pairs.append((flat[index], flat[index + 1]))
                        index += 2
                    }
                    add(.mapping(pairs), anchor: anchor)
                }
            case YAML_ALIAS_EVENT:
                let name = Self.text(event.data.alias.anchor) ?? ""
                guard let node = anchors[name] else { throw AgentConfigError("not valid YAML: unknown alias *\(name)") }
                add(node, anchor: nil)
            default:
                break
            }
        }

        private mutating func add(_ node: YAMLNode, anchor: String?) {
            if let anchor { anchors[anchor] = node }
            guard let top = stack.popLast() else {
                document = node
                return
            }
            switch top {
            case .sequence(var items, let anchor):
                items.append(node)
                stack.append(.sequence(items, anchor: anchor))
            case .mapping(var flat, let anchor):
                flat.append(node)
                stack.append(.mapping(flat, anchor: anchor))
            }
        }

        private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            return String(cString: pointer)
        }
    }
}
