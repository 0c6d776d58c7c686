/// The `line_format` template: Go template text with `{{.label}}`, `{{ __line__ }}` and
/// `{{ __timestamp__ }}` actions (and `{{-`/`-}}` trimming); nothing else of Go's language.
public struct LogQLLineTemplate: Sendable {
    /// One piece of the template.
    public enum Segment: Sendable, Equatable {
        case text([UInt8])
        case label(String)
        case line
        case timestamp
    }

    /// The template as written.
    public var source: String
    public var segments: [Segment]

    /// Parses the template; the error message says what is unsupported.
    init(parsing source: String) throws(TemplateError) {
        self.source = source
        var segments: [Segment] = []
        let bytes = Array(source.utf8)
        var literal: [UInt8] = []
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{") else {
                literal.append(bytes[index])
                index += 1
                continue
            }
            guard let close = Self.find(bytes, from: index + 2) else {
                throw TemplateError(message: "unclosed action")
            }
            var inner = Array(bytes[(index + 2)..<close])
            // `{{- ` trims the whitespace before, ` -}}` the whitespace after (Go's rule).
            if inner.count >= 2, inner[0] == UInt8(ascii: "-"), isSpace(inner[1]) {
                inner.removeFirst()
                while let last = literal.last, isSpace(last) { literal.removeLast() }
            }
            var trimAfter = false
            if inner.count >= 2, inner[inner.count - 1] == UInt8(ascii: "-"), isSpace(inner[inner.count - 2]) {
                inner.removeLast()
                trimAfter = true
            }
            let action = String(decoding: inner, as: UTF8.self).trimmingSpaces
            if !literal.isEmpty {
                segments.append(.text(literal))
                literal = []
            }
            if action == "__line__" {
                segments.append(.line)
            } else if action == "__timestamp__" {
                segments.append(.timestamp)
            } else if action.hasPrefix("."), LogQLText.isLabelName(action.dropFirst()) {
                segments.append(.label(String(action.dropFirst())))
            } else {
                throw TemplateError(message: "unsupported template action {{\(action)}}: only {{.label}}, {{ __line__ }} and {{ __timestamp__ }}")
            }
            index = close + 2
            if trimAfter {
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            }
        }
        if !literal.isEmpty { segments.append(.text(literal)) }
        self.segments = segments
    }

    private static func find(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "}"), bytes[index + 1] == UInt8(ascii: "}") { return index }
            index += 1
        }
        return nil
    }

    /// Every label name the template reads.
    var labelNames: Set<String> {
        Set(segments.compactMap { if case .label(let name) = $0 { name } else { nil } })
    }

    struct TemplateError: Error {
        var message: String
    }
}

extension String {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
