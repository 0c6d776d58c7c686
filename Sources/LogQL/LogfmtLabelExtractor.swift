/// `| logfmt`: `key=value` and `key="quoted value"` pairs become labels; a bare `key`
/// gives an empty value. Syntax faults (go-logfmt's decoder rules: `=` without key, a
/// quote in a key, `=` or `"` in an unquoted value, an unterminated or invalid quoted
/// value) set `__error__="LogfmtParserErr"` and stop; earlier pairs stay.
enum LogfmtLabelExtractor {
    static func extract(into entry: inout PipelineEntry) {
        let line = entry.line
        var index = 0
        func failed(_ entry: inout PipelineEntry) { entry.error = "LogfmtParserErr" }
        while true {
            while index < line.count, line[index] <= 0x20 { index += 1 }
            if index >= line.count { return }
            // Key.
            let keyStart = index
            while index < line.count, line[index] > 0x20, line[index] != UInt8(ascii: "=") {
                if line[index] == UInt8(ascii: "\"") { return failed(&entry) }
                index += 1
            }
            let key = line[keyStart..<index]
            if index >= line.count || line[index] != UInt8(ascii: "=") {
                set(key, value: "", &entry)
                continue
            }
            if key.isEmpty { return failed(&entry) }
            index += 1
            // Value.
            if index >= line.count || line[index] <= 0x20 {
                set(key, value: "", &entry)
                continue
            }
            if line[index] == UInt8(ascii: "\"") {
                let start = index + 1
                var cursor = start
                var hasEscape = false
                var closed = false
                while cursor < line.count {
                    if line[cursor] == UInt8(ascii: "\\") {
                        hasEscape = true
                        cursor += 2
                        continue
                    }
                    if line[cursor] == UInt8(ascii: "\"") {
                        closed = true
                        break
                    }
                    cursor += 1
                }
                guard closed else { return failed(&entry) }
                let raw = line[start..<cursor]
                index = cursor + 1
                if hasEscape {
                    guard !raw.contains(where: { $0 < 0x20 }),
                          let value = JSONString.unescape(raw, allowSingleQuote: true) else { return failed(&entry) }
                    set(key, value: value, &entry)
                } else {
                    set(key, value: String(decoding: raw, as: UTF8.self), &entry)
                }
                continue
            }
            let start = index
            while index < line.count, line[index] > 0x20 {
                if line[index] == UInt8(ascii: "=") || line[index] == UInt8(ascii: "\"") { return failed(&entry) }
                index += 1
            }
            set(key, value: String(decoding: line[start..<index], as: UTF8.self), &entry)
        }
    }

    private static func set(_ key: ArraySlice<UInt8>, value: String, _ entry: inout PipelineEntry) {
        let name = LabelKey.sanitize(key)
        guard !name.isEmpty else { return }
        // Prometheus rejects U+FFFD in values; Loki stores an empty value instead.
        entry.setParsed(name, value.unicodeScalars.contains("\u{FFFD}") ? "" : value)
    }
}
