/// Reference `| json`: a recursive reader over Unicode scalars that adds each leaf as it
/// completes; any fault marks JSONParserErr and stops.
enum ReferenceJSON {
    static func extract(_ state: inout ReferenceEvaluator.State) {
        var reader = Reader(text: Array(String(decoding: state.line, as: UTF8.self).unicodeScalars))
        reader.space()
        if !reader.object(path: [], state: &state) { state.error = "JSONParserErr" }
    }

    static func sanitize(_ key: String, first: Bool) -> String {
        let trimmed = key.trimmingWhitespace
        var out = ""
        if first, let head = trimmed.unicodeScalars.first, ("0"..."9").contains(head) { out = "_" }
        for scalar in trimmed.unicodeScalars {
            out += (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))) || scalar == "_" ? String(scalar) : "_"
        }
        return out
    }

    struct Reader {
        let text: [Unicode.Scalar]
        var at = 0

        mutating func space() { while at < text.count, [" ", "\t", "\n", "\r"].contains(text[at]) { at += 1 } }

        mutating func object(path: [String], state: inout ReferenceEvaluator.State) -> Bool {
            guard at < text.count, text[at] == "{" else { return false }
            at += 1
            space()
            if at < text.count, text[at] == "}" { at += 1; return true }
            while true {
                space()
                guard let key = rawString() else { return false }
                space()
                guard at < text.count, text[at] == ":" else { return false }
                at += 1
                space()
                guard at < text.count else { return false }
                // Prefix parts: the first sanitised with a leading `_` for digits, later ones not.
                let part = sanitize(key, first: path.isEmpty)
                let name = path.isEmpty ? part : path.joined(separator: "_") + "_" + sanitize(key, first: false)
                switch text[at] {
                case "{":
                    let nextPath = path.isEmpty ? (part.isEmpty ? [] : [part]) : path + [sanitize(key, first: false)]
                    guard object(path: nextPath, state: &state) else { return false }
                case "[":
                    guard skip() else { return false }
                case "\"":
                    guard let raw = rawString() else { return false }
                    if !name.isEmpty { state.parsed(name, unescape(raw) ?? "") }
                case "t", "f", "n":
                    let word = text[at] == "t" ? "true" : text[at] == "f" ? "false" : "null"
                    let scalars = Array(word.unicodeScalars)
                    guard at + scalars.count <= text.count, Array(text[at..<(at + scalars.count)]) == scalars else { return false }
                    at += scalars.count
                    if word != "null", !name.isEmpty { state.parsed(name, word) }
                default:
                    var number = ""
                    while at < text.count, "0123456789+-.eE".unicodeScalars.contains(text[at]) { number.unicodeScalars.append(text[at]); at += 1 }
                    guard let first = number.first, first == "-" || first.isNumber, Double(number) != nil else { return false }
                    if !name.isEmpty { state.parsed(name, number) }
                }
                space()
                guard at < text.count else { return false }
                let separator = text[at]
                at += 1
                if separator == "}" { return true }
                if separator != "," { return false }
            }
        }

        mutating func rawString() -> String? {
            guard at < text.count, text[at] == "\"" else { return nil }
            var out = ""
            var index = at + 1
            while index < text.count {
                if text[index] == "\\" {
                    out.unicodeScalars.append(text[index])
                    if index + 1 < text.count { out.unicodeScalars.append(text[index + 1]) }
                    index += 2
                } else if text[index] == "\"" {
                    at = index + 1
                    return out
                } else {
                    out.unicodeScalars.append(text[index])
                    index += 1
                }
            }
            return nil
        }

        mutating func skip() -> Bool {
            var depth = 0
            while at < text.count {
                switch text[at] {
                case "[", "{": depth += 1; at += 1
                case "]", "}":
                    depth -= 1
                    let closing = text[at]
                    at += 1
                    if depth == 0 { return closing == "]" }
                case "\"": if rawString() == nil { return false }
                default: at += 1
                }
            }
            return false
        }
    }

    /// JSON escapes; nil on a bad one. The corpus uses only simple escapes.
    static func unescape(_ raw: String, singleQuote: Bool = false) -> String? {
        var out = ""
        var scalars = raw.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\" else { out.unicodeScalars.append(scalar); continue }
            guard let escape = scalars.next() else { return nil }
            switch escape {
            case "\"", "\\", "/": out.unicodeScalars.append(escape)
            case "'" where singleQuote: out.unicodeScalars.append(escape)
            case "n": out += "\n"
            case "t": out += "\t"
            case "r": out += "\r"
            case "b": out += "\u{8}"
            case "f": out += "\u{c}"
            case "u":
                var hex = ""
                for _ in 0..<4 { guard let digit = scalars.next() else { return nil }; hex.unicodeScalars.append(digit) }
                guard let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) else { return nil }
                out.unicodeScalars.append(decoded)
            default: return nil
            }
        }
        return out.unicodeScalars.contains("\u{FFFD}") ? "" : out
    }
}

/// Reference `| logfmt`, written from go-logfmt's documented grammar.
enum ReferenceLogfmt {
    static func extract(_ state: inout ReferenceEvaluator.State) {
        let text = Array(String(decoding: state.line, as: UTF8.self).unicodeScalars)
        var at = 0
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.value <= 0x20 }
        func add(_ key: String, _ value: String) {
            let name = ReferenceJSON.sanitize(key, first: true)
            if !name.isEmpty { state.parsed(name, value.unicodeScalars.contains("\u{FFFD}") ? "" : value) }
        }
        while true {
            while at < text.count, isSpace(text[at]) { at += 1 }
            if at == text.count { return }
            var key = ""
            while at < text.count, !isSpace(text[at]), text[at] != "=" {
                if text[at] == "\"" { state.error = "LogfmtParserErr"; return }
                key.unicodeScalars.append(text[at])
                at += 1
            }
            guard at < text.count, text[at] == "=" else { add(key, ""); continue }
            if key.isEmpty { state.error = "LogfmtParserErr"; return }
            at += 1
            if at == text.count || isSpace(text[at]) { add(key, ""); continue }
            if text[at] == "\"" {
                var raw = ""
                var escaped = false
                var closed = false
                at += 1
                while at < text.count {
                    let scalar = text[at]
                    at += 1
                    if escaped { raw.unicodeScalars.append(scalar); escaped = false; continue }
                    if scalar == "\\" { raw.unicodeScalars.append(scalar); escaped = true; continue }
                    if scalar == "\"" { closed = true; break }
                    raw.unicodeScalars.append(scalar)
                }
                guard closed else { state.error = "LogfmtParserErr"; return }
                if raw.contains("\\") {
                    guard !raw.unicodeScalars.contains(where: { $0.value < 0x20 }),
                          let value = ReferenceJSON.unescape(raw, singleQuote: true) else { state.error = "LogfmtParserErr"; return }
                    add(key, value)
                } else {
                    add(key, raw)
                }
                continue
            }
            var value = ""
            while at < text.count, !isSpace(text[at]) {
                if text[at] == "=" || text[at] == "\"" { state.error = "LogfmtParserErr"; return }
                value.unicodeScalars.append(text[at])
                at += 1
            }
            add(key, value)
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
