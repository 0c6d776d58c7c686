import Glibc
import SluiceModel

/// A value while expanding a template, with Go's printing rules (`fmt.Sprint`).
enum TemplateValue {
    case string(String)
    case float(Double)
    case integer(Int64)
    case bool(Bool)
    case labels(Labels)
    case sample(labels: Labels, value: Double)
    case vector([(labels: Labels, value: Double)])
    case data

    var text: String {
        switch self {
        case .string(let text): text
        case .float(let value): GoFormatting.formatV(value)
        case .integer(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .labels(let labels): "map[" + labels.pairs.map { "\($0.name):\($0.value)" }.joined(separator: " ") + "]"
        case .sample(let labels, let value):
            "{map[" + labels.pairs.map { "\($0.name):\($0.value)" }.joined(separator: " ") + "] \(GoFormatting.formatV(value))}"
        case .vector(let samples): "[" + samples.map { TemplateValue.sample(labels: $0.labels, value: $0.value).text }.joined(separator: " ") + "]"
        case .data: "{…}"
        }
    }

    /// Go's truth: false, zero, empty text, empty maps and vectors are false.
    var isTrue: Bool {
        switch self {
        case .string(let text): !text.isEmpty
        case .float(let value): value != 0
        case .integer(let value): value != 0
        case .bool(let value): value
        case .labels(let labels): !labels.isEmpty
        case .sample: true
        case .vector(let samples): !samples.isEmpty
        case .data: true
        }
    }

    var typeName: String {
        switch self {
        case .string: "string"
        case .float: "float64"
        case .integer: "int"
        case .bool: "bool"
        case .labels: "map[string]string"
        case .sample: "*template.sample"
        case .vector: "template.queryResult"
        case .data: "template.tmplData"
        }
    }

    /// Prometheus's `convertToFloat`: numbers, and text that parses as one.
    func number() throws(TemplateRuntimeError) -> Double {
        switch self {
        case .float(let value): return value
        case .integer(let value): return Double(value)
        case .string(let text):
            guard let value = Double(text) else {
                throw TemplateRuntimeError("strconv.ParseFloat: parsing \"\(text)\": invalid syntax")
            }
            return value
        default:
            throw TemplateRuntimeError("can't convert \(typeName) to float")
        }
    }

    func string() throws(TemplateRuntimeError) -> String {
        if case .string(let text) = self { return text }
        throw TemplateRuntimeError("wrong type for value; expected string; got \(typeName)")
    }
}

/// Runs a parsed template over one alert's data.
struct TemplateInterpreter {
    let data: AlertTemplate.Data

    init(data: AlertTemplate.Data) { self.data = data }

    mutating func run(_ nodes: [TemplateNode], into output: inout String) throws(TemplateRuntimeError) {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .action(let pipeline):
                output += try evaluate(pipeline).text
            case .conditional(let branches, let otherwise):
                var taken = false
                for branch in branches where try evaluate(branch.condition).isTrue {
                    try run(branch.body, into: &output)
                    taken = true
                    break
                }
                if !taken { try run(otherwise, into: &output) }
            }
        }
    }

    func evaluate(_ pipeline: TemplatePipeline) throws(TemplateRuntimeError) -> TemplateValue {
        var previous: TemplateValue?
        for command in pipeline.commands {
            switch command {
            case .operand(let operand):
                previous = try value(of: operand)
            case .call(let function, let arguments):
                var values: [TemplateValue] = []
                for argument in arguments { values.append(try value(of: argument)) }
                if let previous { values.append(previous) }
                previous = try call(function, values)
            }
        }
        return previous ?? .string("")
    }

    func value(of operand: TemplateOperand) throws(TemplateRuntimeError) -> TemplateValue {
        switch operand {
        case .string(let text): return .string(text)
        case .integer(let value): return .integer(value)
        case .float(let value): return .float(value)
        case .bool(let value): return .bool(value)
        case .pipeline(let pipeline): return try evaluate(pipeline)
        case .data(let field, let key):
            switch field {
            case .root: return .data
            case .value: return .float(data.value)
            case .externalURL: return .string(data.externalURL)
            case .labels: return key.map { .string(data.labels[$0] ?? "") } ?? .labels(data.labels)
            case .externalLabels: return key.map { .string(data.externalLabels[$0] ?? "") } ?? .labels(data.externalLabels)
            }
        }
    }

    // swiftlint:disable:next cyclomatic_complexity
    func call(_ function: TemplateFunction, _ arguments: [TemplateValue]) throws(TemplateRuntimeError) -> TemplateValue {
        func argument(_ index: Int) -> TemplateValue { arguments[index] }
        switch function {
        case .humanize: return .string(TemplateFunctions.humanize(try argument(0).number()))
        case .humanize1024: return .string(TemplateFunctions.humanize1024(try argument(0).number()))
        case .humanizeDuration: return .string(TemplateFunctions.humanizeDuration(try argument(0).number()))
        case .humanizePercentage: return .string(GoFormatting.cFloat("%.4g", try argument(0).number() * 100) + "%")
        case .humanizeTimestamp: return .string(try TemplateFunctions.humanizeTimestamp(try argument(0).number()))
        case .printf: return .string(GoPrintf.format(try argument(0).string(), Array(arguments.dropFirst())))
        case .print: return .string(arguments.map(\.text).joined())
        case .urlquery: return .string(TemplateFunctions.queryEscape(arguments.map(\.text).joined()))
        case .toUpper: return .string(try argument(0).string().uppercased())
        case .toLower: return .string(try argument(0).string().lowercased())
        case .title: return .string(TemplateFunctions.title(try argument(0).string()))
        case .stripPort: return .string(TemplateFunctions.stripPort(try argument(0).string()))
        case .stripDomain: return .string(TemplateFunctions.stripDomain(try argument(0).string()))
        case .match:
            let expression = try TemplateFunctions.regex(try argument(0).string())
            let text = try argument(1).string()
            do { return .bool(try expression.firstMatch(in: text) != nil) } catch {
                throw TemplateRuntimeError("regexp: \(error)")
            }
        case .reReplaceAll:
            return .string(try TemplateFunctions.replaceAll(
                pattern: try argument(0).string(), replacement: try argument(1).string(), in: try argument(2).string()))
        case .eq, .ne, .lt, .le, .gt, .ge:
            let order = try TemplateFunctions.compare(argument(0), argument(1), equalityOnly: function == .eq || function == .ne)
            switch function {
            case .eq: return .bool(order == 0)
            case .ne: return .bool(order != 0)
            case .lt: return .bool(order < 0)
            case .le: return .bool(order <= 0)
            case .gt: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .and:
            for value in arguments where !value.isTrue { return value }
            return arguments[arguments.count - 1]
        case .or:
            for value in arguments where value.isTrue { return value }
            return arguments[arguments.count - 1]
        case .not: return .bool(!argument(0).isTrue)
        case .index:
            guard case .labels(let labels) = argument(0) else {
                throw TemplateRuntimeError("can't index item of type \(argument(0).typeName)")
            }
            return .string(labels[try argument(1).string()] ?? "")
        case .len:
            switch argument(0) {
            case .string(let text): return .integer(Int64(text.utf8.count))
            case .labels(let labels): return .integer(Int64(labels.pairs.count))
            case .vector(let samples): return .integer(Int64(samples.count))
            default: throw TemplateRuntimeError("len of type \(argument(0).typeName)")
            }
        case .query:
            guard let evaluator = data.evaluator else { throw TemplateRuntimeError("query is not available here") }
            do {
                let samples = try evaluator.evaluate(try argument(0).string(), at: data.time)
                return .vector(samples)
            } catch let error as TemplateRuntimeError {
                throw error
            } catch {
                throw TemplateRuntimeError("error executing query: \(error)")
            }
        case .first:
            guard case .vector(let samples) = argument(0) else { throw TemplateRuntimeError("first of \(argument(0).typeName)") }
            guard let sample = samples.first else { throw TemplateRuntimeError("first() called on vector with no elements") }
            return .sample(labels: sample.labels, value: sample.value)
        case .value:
            guard case .sample(_, let value) = argument(0) else { throw TemplateRuntimeError("value of \(argument(0).typeName)") }
            return .float(value)
        case .strvalue:
            guard case .sample(let labels, _) = argument(0) else { throw TemplateRuntimeError("strvalue of \(argument(0).typeName)") }
            return .string(labels["__value__"] ?? "")
        case .label:
            guard case .sample(let labels, _) = argument(1) else { throw TemplateRuntimeError("label of \(argument(1).typeName)") }
            return .string(labels[try argument(0).string()] ?? "")
        case .sortByLabel:
            guard case .vector(let samples) = argument(1) else { throw TemplateRuntimeError("sortByLabel of \(argument(1).typeName)") }
            let name = try argument(0).string()
            return .vector(samples.enumerated().sorted {
                let (a, b) = ($0.element.labels[name] ?? "", $1.element.labels[name] ?? "")
                return a != b ? a < b : $0.offset < $1.offset
            }.map(\.element))
        }
    }
}

/// Prometheus's template functions on plain values.
enum TemplateFunctions {
    static func humanize(_ value: Double) -> String {
        if value == 0 || !value.isFinite { return GoFormatting.cFloat("%.4g", value) }
        var v = value
        var prefix = ""
        if abs(v) >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(v) < 1000 { break }
                prefix = p
                v /= 1000
            }
        } else {
            for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
                if abs(v) >= 1 { break }
                prefix = p
                v *= 1000
            }
        }
        return GoFormatting.cFloat("%.4g", v) + prefix
    }

    static func humanize1024(_ value: Double) -> String {
        if abs(value) <= 1 || !value.isFinite { return GoFormatting.cFloat("%.4g", value) }
        var v = value
        var prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(v) < 1024 { break }
            prefix = p
            v /= 1024
        }
        return GoFormatting.cFloat("%.4g", v) + prefix
    }

    static func humanizeDuration(_ value: Double) -> String {
        if !value.isFinite { return GoFormatting.cFloat("%.4g", value) }
        if value == 0 { return GoFormatting.cFloat("%.4g", value) + "s" }
        if abs(value) >= 1 {
            let sign = value < 0 ? "-" : ""
            let magnitude = abs(value)
            let duration = Int64(magnitude)
            let seconds = duration % 60
            let minutes = (duration / 60) % 60
            let hours = (duration / 3600) % 24
            let days = duration / 86_400
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + GoFormatting.cFloat("%.4g", magnitude) + "s"
        }
        var v = value
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return GoFormatting.cFloat("%.4g", v) + prefix + "s"
    }

    /// `fmt.Sprint(time.Time)` in UTC: `2026-11-22 02:37:03.37 +0000 UTC`.
    static func humanizeTimestamp(_ seconds: Double) throws(TemplateRuntimeError) -> String {
        if !seconds.isFinite { return GoFormatting.cFloat("%.4g", seconds) }
        guard abs(seconds) < 9.2e9 else { throw TemplateRuntimeError("value is too large to be a timestamp") }
        let nanoseconds = Int64((seconds * 1e9).rounded(.down))
        var text = Timestamp(nanosecondsSinceEpoch: nanoseconds).rfc3339
        text.removeLast() // Z
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == UInt8(ascii: "0") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        bytes[10] = UInt8(ascii: " ")
        return String(decoding: bytes, as: UTF8.self) + " +0000 UTC"
    }

    /// Go's `strings.Title`: upper-cases the first letter of each word.
    static func title(_ text: String) -> String {
        var out = ""
        var previousIsSeparator = true
        for character in text {
            let isWordCharacter = character.isLetter || character.isNumber || character == "_"
            out += previousIsSeparator && character.isLetter ? character.uppercased() : String(character)
            previousIsSeparator = !isWordCharacter
        }
        return out
    }

    /// `host:port` → `host` (brackets of an IPv6 literal removed); anything else unchanged.
    static func stripPort(_ hostPort: String) -> String {
        guard let split = splitHostPort(hostPort) else { return hostPort }
        return split.host
    }

    static func stripDomain(_ hostPort: String) -> String {
        let split = splitHostPort(hostPort)
        let host = split?.host ?? hostPort
        if isIPAddress(host) { return hostPort }
        let short = String(host.split(separator: ".", omittingEmptySubsequences: false).first ?? "")
        guard let port = split?.port, !port.isEmpty else { return short }
        return short.contains(":") ? "[\(short)]:\(port)" : "\(short):\(port)"
    }

    private static func splitHostPort(_ text: String) -> (host: String, port: String)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return (String(text[text.index(after: text.startIndex)..<close]), String(rest.dropFirst()))
        }
        guard let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    static func regex(_ pattern: String) throws(TemplateRuntimeError) -> Regex<AnyRegexOutput> {
        do { return try Regex(pattern) } catch {
            throw TemplateRuntimeError("error parsing regexp: \(pattern)")
        }
    }

    /// Go's `Regexp.ReplaceAllString`: `$1`, `${1}`, `${name}` in the replacement.
    static func replaceAll(pattern: String, replacement: String, in text: String) throws(TemplateRuntimeError) -> String {
        let expression = try regex(pattern)
        return text.replacing(expression) { match in
            var out = ""
            var characters = replacement[...]
            while let character = characters.first {
                characters = characters.dropFirst()
                guard character == "$", let next = characters.first else { out.append(character); continue }
                if next == "$" { out.append("$"); characters = characters.dropFirst(); continue }
                var name: Substring
                if next == "{" {
                    guard let close = characters.firstIndex(of: "}") else { out.append("$"); continue }
                    name = characters[characters.index(after: characters.startIndex)..<close]
                    characters = characters[characters.index(after: close)...]
                } else {
                    name = characters.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                    characters = characters.dropFirst(name.count)
                }
                if let number = Int(name) {
                    if number < match.output.count, let captured = match.output[number].substring { out += captured }
                } else if let captured = match.output[String(name)]?.substring {
                    out += captured
                }
            }
            return out
        }
    }

    /// -1, 0, 1. Numbers compare as numbers whatever their kind (Go refuses int against
    /// float; rule authors write `gt $value 80` and mean it), text as text.
    static func compare(_ a: TemplateValue, _ b: TemplateValue, equalityOnly: Bool) throws(TemplateRuntimeError) -> Int {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.bool(let x), .bool(let y)):
            guard equalityOnly else { throw TemplateRuntimeError("invalid type for comparison") }
            return x == y ? 0 : 1
        case (.float, .float), (.float, .integer), (.integer, .float), (.integer, .integer):
            return order(try a.number(), try b.number())
        default:
            throw TemplateRuntimeError("incompatible types for comparison")
        }
    }

    private static func order(_ x: Double, _ y: Double) -> Int { x == y ? 0 : (x < y ? -1 : 1) }

    /// Go's `url.QueryEscape`.
    static func queryEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%v %s %d %f %F %e %E %g %G %x %X %q
/// %t %%`, with flags `+-# 0`, width and precision; Go's `%!verb(type=value)` for a value
/// of the wrong kind, `%!verb(MISSING)` and `%!(EXTRA …)`.
enum GoPrintf {
    static func format(_ format: String, _ arguments: [TemplateValue]) -> String {
        var out = ""
        var next = 0
        let bytes = Array(format.utf8)
        var i = 0
        var literal: [UInt8] = []
        func flushLiteral() {
            out += String(decoding: literal, as: UTF8.self)
            literal = []
        }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else { literal.append(bytes[i]); i += 1; continue }
            flushLiteral()
            var j = i + 1
            var flags = ""
            while j < bytes.count, let flag = "+-# 0".utf8.firstIndex(of: bytes[j]).map({ _ in bytes[j] }) {
                flags.unicodeScalars.append(Unicode.Scalar(flag))
                j += 1
            }
            var width = ""
            while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 { width.unicodeScalars.append(Unicode.Scalar(bytes[j])); j += 1 }
            var precision: String?
            if j < bytes.count, bytes[j] == UInt8(ascii: ".") {
                j += 1
                var digits = ""
                while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 { digits.unicodeScalars.append(Unicode.Scalar(bytes[j])); j += 1 }
                precision = digits
            }
            guard j < bytes.count else { out += "%!(NOVERB)"; break }
            let verb = Character(Unicode.Scalar(bytes[j]))
            i = j + 1
            if verb == "%" { out += "%"; continue }
            guard next < arguments.count else { out += "%!\(verb)(MISSING)"; continue }
            let argument = arguments[next]
            next += 1
            let spec = "%" + flags + width + (precision.map { "." + $0 } ?? "")
            out += convert(argument, verb: verb, spec: spec, flags: flags, width: Int(width), precision: precision.map { Int($0) ?? 0 })
        }
        flushLiteral()
        if next < arguments.count {
            out += "%!(EXTRA " + arguments[next...].map { "\($0.typeName)=\($0.text)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    private static func convert(_ argument: TemplateValue, verb: Character, spec: String, flags: String,
                                width: Int?, precision: Int?) -> String {
        let wrong = "%!\(verb)(\(argument.typeName)=\(argument.text))"
        switch verb {
        case "v", "s":
            if verb == "s", case .float = argument { return wrong }
            if verb == "s", case .integer = argument { return wrong }
            var text = argument.text
            if case .float(let value) = argument, precision != nil || flags.contains("+") {
                // Go formats `%.3v` of a float as `%.3g`.
                return GoFormatting.cFloat(spec + "g", value)
            }
            if verb == "s", let precision { text = String(text.prefix(precision)) }
            return pad(text, width: width, left: flags.contains("-"))
        case "d":
            guard case .integer(let value) = argument else { return wrong }
            return withCString(spec + "lld", value)
        case "x", "X":
            switch argument {
            case .integer(let value): return withCString(spec + "ll" + String(verb), value)
            case .string(let text):
                let hex = Array((verb == "x" ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
                return pad(String(decoding: text.utf8.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] }, as: UTF8.self),
                           width: width, left: flags.contains("-"))
            default: return wrong
            }
        case "f", "F", "e", "E", "g", "G":
            switch argument {
            case .float(let value): return GoFormatting.cFloat(spec + String(verb), value)
            default: return wrong
            }
        case "t":
            guard case .bool = argument else { return wrong }
            return pad(argument.text, width: width, left: flags.contains("-"))
        case "q":
            guard case .string(let text) = argument else { return wrong }
            var writer = JSONWriter()
            writer.string(text)
            return pad(String(decoding: writer.bytes, as: UTF8.self), width: width, left: flags.contains("-"))
        default:
            return "%!\(verb)(\(argument.typeName)=\(argument.text))"
        }
    }

    private static func withCString(_ spec: String, _ value: Int64) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        let count = withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, spec, arguments) }
        }
        guard count >= 0 else { return "" }
        return String(decoding: buffer[..<min(Int(count), buffer.count - 1)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func pad(_ text: String, width: Int?, left: Bool) -> String {
        guard let width, text.count < width else { return text }
        let padding = String(repeating: " ", count: width - text.count)
        return left ? text + padding : padding + text
    }
}
