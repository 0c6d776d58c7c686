import SluiceModel
import TestSupport

/// Seeded entries and queries for the randomized comparison.
public struct RandomCorpus {
    public static let base: Int64 = 1_700_000_000_000_000_000
    public var random: SplitMix64

    public init(seed: UInt64) { random = SplitMix64(seed: seed) }

    public mutating func pick<T>(_ options: [T]) -> T { options.randomElement(using: &random)! }
    public mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    public mutating func entries(count: Int) -> [LogEntry] {
        var streams: [Labels] = []
        for _ in 0..<Int.random(in: 3...7, using: &random) {
            var labels: [String: String] = ["host": pick(["h1", "h2", "h3"]), "app": pick(["api", "web"])]
            if chance(70) { labels["level"] = pick(["info", "warn", "error"]) }
            streams.append(Labels(labels))
        }
        var result: [LogEntry] = []
        for offset in 0..<count {
            // Some entries exactly on 10 s boundaries, to test window edges.
            let time = chance(20) ? Int64.random(in: 0...60, using: &random) * 10_000_000_000
                : Int64.random(in: 0..<600_000, using: &random) * 1_000_000
            var metadata: [String: String] = [:]
            if chance(40) { metadata["status"] = pick(["200", "404", "500", "abc"]) }
            if chance(30) { metadata["duration"] = pick(["12ms", "1.5s", "250us", "bad", "2m3s"]) }
            if chance(10) { metadata["level"] = pick(["debug", "error"]) }
            result.append(LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: Self.base + time), stream: pick(streams),
                                   line: Array(line().utf8), metadata: Labels(metadata),
                                   origin: RecordOrigin(topic: "logs", partition: 0, offset: Int64(offset))))
        }
        return result
    }

    public mutating func line() -> String {
        let level = pick(["info", "warn", "error", "debug"])
        let status = pick(["200", "201", "404", "500", "503", "oops"])
        let latency = pick(["12ms", "1.5s", "250us", "3m", "fast", "0"])
        let size = pick(["10KB", "1.5MiB", "300", "2 kb", "huge"])
        let method = pick(["GET", "POST"])
        switch Int.random(in: 0..<7, using: &random) {
        case 0, 1:
            var parts = ["level=\(level)", "status=\(status)", "latency=\(latency)", "size=\"\(size)\"", "method=\(method)"]
            parts.shuffle(using: &random)
            if chance(30) { parts.append(#"msg="hello \"world\"""#) }
            if chance(20) { parts.append("host=\(pick(["x", "h1"]))") }
            return parts.prefix(Int.random(in: 1...parts.count, using: &random)).joined(separator: " ")
        case 2, 3:
            var members = [#""level":"\#(level)""#, #""status":\#(status == "oops" ? "\"oops\"" : status)"#,
                           #""latency":"\#(latency)""#, #""req":{"method":"\#(method)","size":"\#(size)","1x":true}"#,
                           #""tags":["a",{"b":1}]"#, #""n":null"#, #""app":"\#(pick(["shop", "api"]))""#, #""msg":"a\tb \u00e9""#]
            members.shuffle(using: &random)
            let text = "{" + members.prefix(Int.random(in: 1...members.count, using: &random)).joined(separator: ",") + "}"
            return chance(15) ? String(text.prefix(Int.random(in: 1..<text.count, using: &random))) : text
        case 4:
            return "\(method) /api/users/\(Int.random(in: 1...9, using: &random)) \(status) \(latency)"
        case 5:
            return pick([#"a="unterminated"#, "=x", "k=v=w", #"bad"key=1"#, "level=\(level) x=\"esc \\q\""])
        default:
            return "\(level): request took \(latency) and returned \(status)"
        }
    }

    // MARK: Queries

    mutating func selector() -> String {
        pick([#"{host="h1"}"#, #"{app=~"api|web"}"#, #"{level!="info", app="api"}"#, #"{host=~"h[12]"}"#,
              #"{host=~".+"}"#, #"{app="web", host!~"h3"}"#])
    }

    mutating func stage() -> String {
        pick([
            #"|= "status""#, #"!= "error""#, #"|~ "GET|warn""#, #"!~ "\\d{3}""#, #"|= "=""#,
            "| json", "| logfmt", "| json", "| logfmt",
            #"| regexp "(?P<method>GET|POST) (?P<path>\\S+)""#,
            "| status >= 500", "| status == 200", "| status != 404", "| latency > 100ms", "| latency <= 1s",
            "| size > 1KB", "| size < 2MiB", #"| level="warn""#, #"| level_extracted=~"e.*""#,
            #"| __error__="""#, #"| __error__!="""#, #"| (status > 400 or level="error")"#,
            #"| method="GET" and status < 300"#, "| duration > 10ms, status >= 200",
            #"| line_format "{{.level}} {{.status}}""#, #"| line_format "{{ __line__ }}!""#,
            #"| nonexistent > 3"#, #"| host =~ "h.*" or app = "web""#,
        ])
    }

    public mutating func logQuery() -> String {
        var text = selector()
        for _ in 0..<Int.random(in: 0...3, using: &random) { text += " " + stage() }
        return text
    }

    mutating func rangeAggregation() -> String {
        let op = pick(["count_over_time", "rate", "bytes_over_time", "bytes_rate"])
        var query = logQuery()
        // Keep most metric queries free of pipeline errors.
        if query.contains("| json") || query.contains("| logfmt") || query.contains("> ") || query.contains("< ") {
            if chance(75) { query += #" | __error__="""# }
        }
        return "\(op)(\(query) [\(pick(["10s", "30s", "1m", "2m", "1500ms"]))])"
    }

    /// A metric query storage can answer from timestamps (and line lengths): a selector
    /// and label filters, on stream labels or metadata, no line filters or parsers.
    public mutating func countingMetricQuery() -> String {
        let op = pick(["count_over_time", "rate", "bytes_over_time", "bytes_rate"])
        var query = selector()
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            query += " " + pick([#"| host =~ "h.*" or app = "web""#, #"| app != "api""#, #"| level="warn""#, "| status >= 500",
                                 #"| level_extracted=~"e.*""#, #"| status="404" or level="error""#, "| duration > 10ms"])
        }
        let inner = "\(op)(\(query) [\(pick(["10s", "30s", "1m", "2m", "1500ms"]))])"
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return inner
        case 1: return "sum by (level) (\(inner))"
        case 2: return "\(pick(["sum", "max", "count"])) \(grouping()) (\(inner))"
        default: return "sum(\(inner))"
        }
    }

    mutating func grouping() -> String {
        pick(["by (level)", "by (app, host)", "without (host)", "by ()", "without ()", "by (status)", "by (level_extracted)"])
    }

    public mutating func metricQuery(depth: Int = 0) -> String {
        let inner = depth < 2 && chance(30) ? metricQuery(depth: depth + 1) : rangeAggregation()
        switch Int.random(in: 0..<9, using: &random) {
        case 0: return inner
        case 1, 2: return "sum \(grouping()) (\(inner))"
        case 3: return "\(pick(["avg", "min", "max", "count"])) \(grouping()) (\(inner))"
        case 4: return "\(pick(["avg", "min", "max", "count", "sum"]))(\(inner))"
        case 5: return "topk(\(Int.random(in: 1...3, using: &random)), \(inner))"
        case 6: return "bottomk \(grouping()) (\(Int.random(in: 1...2, using: &random)), \(inner))"
        case 7: return "sum(\(inner)) \(grouping())"
        default: return rangeAggregation()
        }
    }
}
