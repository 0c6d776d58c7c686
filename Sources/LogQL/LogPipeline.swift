import SluiceModel

/// A log query's stages, ready to run on entries.
struct LogPipeline {
    let stages: [LogQLStage]
    /// `|=` strings before any `line_format`: storage may skip blocks without them.
    let requiredSubstrings: [[UInt8]]
    let hasParser: Bool
    let hasLineFormat: Bool
    /// Whether any stage reads the line (filters, parsers, line_format).
    let needsLine: Bool
    /// Label names the filters and templates read.
    let readNames: Set<String>

    init(_ stages: [LogQLStage]) {
        self.stages = stages
        var required: [[UInt8]] = []
        var formatted = false
        var names = Set<String>()
        for stage in stages {
            switch stage {
            case .lineFilter(let filter):
                if filter.op == .contains, !formatted, !filter.pattern.isEmpty { required.append(filter.needle) }
            case .lineFormat(let template):
                formatted = true
                names.formUnion(template.labelNames)
            case .labelFilter(let filter):
                names.formUnion(filter.names)
            case .json, .logfmt, .regexp:
                break
            }
        }
        requiredSubstrings = required
        hasParser = stages.contains { $0.isParser }
        hasLineFormat = formatted
        needsLine = stages.contains { if case .labelFilter = $0 { false } else { true } }
        readNames = names
    }

    /// Runs every stage; false when the entry is filtered out.
    func run(_ entry: inout PipelineEntry) -> Bool {
        for stage in stages {
            switch stage {
            case .lineFilter(let filter):
                if !Self.passes(filter, entry.line) { return false }
            case .json:
                JSONLabelExtractor.extract(into: &entry)
            case .logfmt:
                LogfmtLabelExtractor.extract(into: &entry)
            case .regexp(let parser):
                Self.extract(parser, into: &entry)
            case .labelFilter(let filter):
                if !Self.passes(filter, &entry) { return false }
            case .lineFormat(let template):
                entry.line = Self.render(template, entry)
            }
        }
        return true
    }

    /// Runs only the line filters (for entries whose labels were settled per stream).
    func passesLineFilters(_ line: [UInt8]) -> Bool {
        for stage in stages {
            if case .lineFilter(let filter) = stage, !Self.passes(filter, line) { return false }
        }
        return true
    }

    /// Runs only the label filters (no parsers, no line_format in the pipeline).
    func passesLabelFilters(_ entry: inout PipelineEntry) -> Bool {
        for stage in stages {
            if case .labelFilter(let filter) = stage, !Self.passes(filter, &entry) { return false }
        }
        return true
    }

    static func passes(_ filter: LogQLLineFilter, _ line: [UInt8]) -> Bool {
        switch filter.op {
        case .contains: return ByteSearch.contains(line, filter.needle)
        case .notContains: return !ByteSearch.contains(line, filter.needle)
        case .matches:
            if filter.isLiteralRegex { return ByteSearch.contains(line, filter.needle) }
            return String(decoding: line, as: UTF8.self).contains(filter.regex!)
        case .notMatches:
            if filter.isLiteralRegex { return !ByteSearch.contains(line, filter.needle) }
            return !String(decoding: line, as: UTF8.self).contains(filter.regex!)
        }
    }

    static func extract(_ parser: LogQLRegexpParser, into entry: inout PipelineEntry) {
        let text = String(decoding: entry.line, as: UTF8.self)
        guard let match = try? parser.regex.firstMatch(in: text) else { return }
        for name in parser.names {
            let value = match.output[name]?.substring.map(String.init) ?? ""
            entry.setParsed(name, value)
        }
    }

    /// Loki's label filter semantics (pkg/logql/log/label_filter.go): a missing label
    /// fails a number/duration/bytes comparison; a value that does not convert keeps the
    /// entry and sets `__error__="LabelFilterErr"` unless an error is set already. `and`
    /// evaluates both sides (for their errors), `or` stops at a passing left side.
    static func passes(_ filter: LogQLLabelFilter, _ entry: inout PipelineEntry) -> Bool {
        switch filter {
        case .string(let matcher):
            return matcher.matches(value: entry.value(matcher.name) ?? "")
        case .number(let name, let op, let threshold):
            guard let text = entry.value(name) else { return false }
            guard let value = GoFloat.parse(Array(text.utf8)) else {
                entry.setErrorIfNone("LabelFilterErr")
                return true
            }
            return op.holds(value, threshold)
        case .duration(let name, let op, let threshold):
            guard let text = entry.value(name) else { return false }
            guard let value = GoDuration.parse(Array(text.utf8)) else {
                entry.setErrorIfNone("LabelFilterErr")
                return true
            }
            return op.holds(value, threshold)
        case .bytes(let name, let op, let threshold):
            guard let text = entry.value(name) else { return false }
            guard let value = ByteSize.parse(Array(text.utf8)) else {
                entry.setErrorIfNone("LabelFilterErr")
                return true
            }
            return op.holds(value, threshold)
        case .and(let lhs, let rhs):
            let left = passes(lhs, &entry)
            let right = passes(rhs, &entry)
            return left && right
        case .or(let lhs, let rhs):
            if passes(lhs, &entry) { return true }
            return passes(rhs, &entry)
        }
    }

    static func render(_ template: LogQLLineTemplate, _ entry: PipelineEntry) -> [UInt8] {
        var out: [UInt8] = []
        for segment in template.segments {
            switch segment {
            case .text(let bytes): out.append(contentsOf: bytes)
            case .label(let name): out.append(contentsOf: Array((entry.value(name) ?? "").utf8))
            case .line: out.append(contentsOf: entry.line)
            case .timestamp: out.append(contentsOf: Array(GoTime.string(entry.timestamp).utf8))
            }
        }
        return out
    }
}

/// Byte substring search.
enum ByteSearch {
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                let last = hay.count - pin.count
                var index = 0
                while index <= last {
                    if hay[index] == first {
                        var matched = 1
                        while matched < pin.count, hay[index + matched] == pin[matched] { matched += 1 }
                        if matched == pin.count { return true }
                    }
                    index += 1
                }
                return false
            }
        }
    }
}

/// Go's `time.Time.String()` in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`.
enum GoTime {
    static func string(_ timestamp: Timestamp) -> String {
        let rfc = timestamp.rfc3339  // 2026-11-22T06:16:27.123456789Z
        let date = rfc.prefix(10)
        let time = rfc.dropFirst(11).prefix(8)
        var fraction = String(rfc.dropFirst(20).prefix(9))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(date) \(time)\(fraction.isEmpty ? "" : "." + fraction) +0000 UTC"
    }
}
