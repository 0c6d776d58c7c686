/// `| json`: every string, number and boolean field becomes a label; nested objects
/// flatten with `_` (`a_b`); arrays and nulls are skipped (Loki's JSONParser). A line
/// that is not a JSON object sets `__error__="JSONParserErr"`; labels of fields read
/// before the fault stay.
enum JSONLabelExtractor {
    static func extract(into entry: inout PipelineEntry) {
        var reader = Reader(bytes: entry.line)
        var prefix: [UInt8] = []
        reader.skipSpace()
        if !reader.object(prefix: &prefix, entry: &entry) {
            entry.error = "JSONParserErr"
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
                index += 1
            }
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        /// An object at `index`; false on malformed input.
        mutating func object(prefix: inout [UInt8], entry: inout PipelineEntry) -> Bool {
            guard peek() == UInt8(ascii: "{") else { return false }
            index += 1
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return true
            }
            while true {
                skipSpace()
                guard peek() == UInt8(ascii: "\""), let key = rawString() else { return false }
                skipSpace()
                guard peek() == UInt8(ascii: ":") else { return false }
                index += 1
                skipSpace()
                guard let first = peek() else { return false }
                switch first {
                case UInt8(ascii: "{"):
                    let saved = prefix.count
                    if !prefix.isEmpty { prefix.append(UInt8(ascii: "_")) }
                    LabelKey.appendSanitized(key, to: &prefix)
                    let ok = object(prefix: &prefix, entry: &entry)
                    prefix.removeSubrange(saved...)
                    if !ok { return false }
                case UInt8(ascii: "["):
                    guard skipArray() else { return false }
                case UInt8(ascii: "\""):
                    guard let raw = rawString() else { return false }
                    set(key, prefix: prefix, value: JSONString.unescape(raw) ?? "", entry: &entry)
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let word: [UInt8] = first == UInt8(ascii: "t") ? Array("true".utf8) : first == UInt8(ascii: "f") ? Array("false".utf8) : Array("null".utf8)
                    guard bytes.count - index >= word.count, Array(bytes[index..<(index + word.count)]) == word else { return false }
                    index += word.count
                    if first != UInt8(ascii: "n") {
                        set(key, prefix: prefix, value: String(decoding: word, as: UTF8.self), entry: &entry)
                    }
                default:
                    guard let number = number() else { return false }
                    set(key, prefix: prefix, value: String(decoding: number, as: UTF8.self), entry: &entry)
                }
                skipSpace()
                guard let separator = peek() else { return false }
                index += 1
                if separator == UInt8(ascii: "}") { return true }
                guard separator == UInt8(ascii: ",") else { return false }
            }
        }

        private func set(_ key: ArraySlice<UInt8>, prefix: [UInt8], value: String, entry: inout PipelineEntry) {
            let name: String
            if prefix.isEmpty {
                name = LabelKey.sanitize(key)
            } else {
                var bytes = prefix
                bytes.append(UInt8(ascii: "_"))
                LabelKey.appendSanitized(key, to: &bytes)
                name = String(decoding: bytes, as: UTF8.self)
            }
            if !name.isEmpty { entry.setParsed(name, value) }
        }

        /// The bytes between the quotes, still escaped; `index` is at the opening quote.
        mutating func rawString() -> ArraySlice<UInt8>? {
            let start = index + 1
            var cursor = start
            while cursor < bytes.count {
                switch bytes[cursor] {
                case UInt8(ascii: "\\"): cursor += 2
                case UInt8(ascii: "\""):
                    index = cursor + 1
                    return bytes[start..<cursor]
                default: cursor += 1
                }
            }
            return nil
        }

        /// A JSON number's text.
        mutating func number() -> ArraySlice<UInt8>? {
            let start = index
            while let byte = peek(), (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                index += 1
            }
            let text = bytes[start..<index]
            guard let first = text.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39),
                  GoFloat.parse(text) != nil else { return nil }
            return text
        }

        /// Skips a balanced array, strings included.
        mutating func skipArray() -> Bool {
            var depth = 0
            while let byte = peek() {
                switch byte {
                case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; index += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                    index += 1
                    if depth == 0 { return byte == UInt8(ascii: "]") }
                case UInt8(ascii: "\""):
                    guard rawString() != nil else { return false }
                default: index += 1
                }
            }
            return false
        }
    }
}

/// JSON string unescaping (also logfmt's quoted values, which use JSON's rules).
enum JSONString {
    /// nil on an invalid escape or control character; a result holding U+FFFD becomes ""
    /// (Loki drops values Prometheus would reject).
    static func unescape(_ raw: ArraySlice<UInt8>, allowSingleQuote: Bool = false) -> String? {
        guard raw.contains(UInt8(ascii: "\\")) else {
            let text = String(decoding: raw, as: UTF8.self)
            return text.unicodeScalars.contains("\u{FFFD}") ? "" : text
        }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = raw.startIndex
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.endIndex else { return nil }
            var value: UInt32 = 0
            for byte in raw[at..<(at + 4)] {
                switch byte {
                case 0x30...0x39: value = value * 16 + UInt32(byte - 0x30)
                case 0x61...0x66: value = value * 16 + UInt32(byte - 0x61 + 10)
                case 0x41...0x46: value = value * 16 + UInt32(byte - 0x41 + 10)
                default: return nil
                }
            }
            return value
        }
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < raw.endIndex else { return nil }
            let escape = raw[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "'") where allowSingleQuote: out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4(index) else { return nil }
                index += 4
                if (0xD800..<0xDC00).contains(code), index + 6 <= raw.endIndex, raw[index] == UInt8(ascii: "\\"),
                   raw[index + 1] == UInt8(ascii: "u"), let low = hex4(index + 2), (0xDC00..<0xE000).contains(low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
            default: return nil
            }
        }
        let text = String(decoding: out, as: UTF8.self)
        return text.unicodeScalars.contains("\u{FFFD}") ? "" : text
    }
}

/// Loki's label-name sanitising for extracted keys (`sanitizeLabelKey`).
enum LabelKey {
    /// Trims spaces, prefixes `_` to a leading digit, and maps every character outside
    /// `[a-zA-Z0-9_]` to `_`.
    static func sanitize<S: Collection<UInt8>>(_ key: S) -> String {
        var out: [UInt8] = []
        appendSanitized(key, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same, appended; the `_` before a leading digit only when `out` is empty.
    static func appendSanitized<S: Collection<UInt8>>(_ key: S, to out: inout [UInt8]) {
        let scalars = String(decoding: key, as: UTF8.self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        let trimmed = scalars[first...last]
        if out.isEmpty, let head = trimmed.first, head >= "0", head <= "9" { out.append(UInt8(ascii: "_")) }
        for scalar in trimmed {
            let v = scalar.value
            let keep = (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39) || v == 0x5F
            out.append(keep ? UInt8(v) : UInt8(ascii: "_"))
        }
    }
}
