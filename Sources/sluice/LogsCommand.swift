import ArgumentParser
import Foundation
import SluiceModel

/// `sluice logs query|tail`: LogQL over the appliance's HTTP API, as Loki's logcli does.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Query and follow the aggregated logs (LogQL).",
        subcommands: [LogsQueryCommand.self, LogsTailCommand.self])
}

struct APIOptions: ParsableArguments {
    @Option(help: "The appliance's HTTP API.")
    var url = "http://127.0.0.1:8080"
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, ndjson
}

struct LogsQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a LogQL query over a time range.",
        discussion: """
            Examples:
              sluice logs query '{host="web-1"} |= "timeout"' --since 1h
              sluice logs query 'sum by (level) (count_over_time({source="file"}[5m]))' --since 6h
              sluice logs query '{unit="nginx.service"} | json | status >= 500' --from 2026-11-22T06:00:00Z --to 2026-11-22T07:00:00Z --output ndjson
            """)

    @Argument(help: "The LogQL query.")
    var query: String

    @Option(help: "How far back from now (e.g. 15m, 1h, 7d). Default 1h; ignored with --from.")
    var since: String?

    @Option(help: "Start: RFC 3339 or Unix time (s or ns).")
    var from: String?

    @Option(help: "End: RFC 3339 or Unix time (s or ns). Default now.")
    var to: String?

    @Option(help: "Most log lines to return (the API's limit, at most 5000 by default).")
    var limit = 100

    @Option(help: "Resolution of metric queries (e.g. 1m); default chosen by the server.")
    var step: String?

    @Flag(help: "Oldest lines first (default: newest first).")
    var forward = false

    @Option(help: "text, json (the API's answer) or ndjson (one object per line or sample).")
    var output: OutputFormat = .text

    @OptionGroup var api: APIOptions

    func run() throws {
        var parameters = [("query", query), ("limit", String(limit)), ("direction", forward ? "forward" : "backward")]
        if let from { parameters.append(("start", from)) } else { parameters.append(("since", since ?? "1h")) }
        if let to { parameters.append(("end", to)) }
        if let step { parameters.append(("step", step)) }
        let body = try LogsAPIClient(url: api.url).get("/loki/api/v1/query_range", parameters)
        if output == .json {
            FileHandle.standardOutput.write(body)
            print()
            return
        }
        try ResultPrinter(output: output, forward: forward).print(body)
    }
}

struct LogsTailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow new lines matching a LogQL log query until interrupted.",
        discussion: "Polls the API every --interval with the range since the last line shown, so no line is shown twice.")

    @Argument(help: "A LogQL log query, e.g. '{host=\"web-1\"} |= \"error\"'.")
    var query: String

    @Option(help: "Show lines from this far back first (e.g. 30s, 5m).")
    var since = "10s"

    @Option(help: "Seconds between polls.")
    var interval = 1.0

    @Option(help: "text or ndjson.")
    var output: OutputFormat = .text

    @OptionGroup var api: APIOptions

    func run() throws {
        let client = try LogsAPIClient(url: api.url)
        let printer = ResultPrinter(output: output == .json ? .ndjson : output)
        guard let sinceNanoseconds = DurationText.nanoseconds(since) else {
            throw ValidationError("--since '\(since)' is not a duration")
        }
        var start = Self.nowNanoseconds() - sinceNanoseconds
        var shownAtStart = Set<String>()
        while true {
            let end = Self.nowNanoseconds()
            let body = try client.get("/loki/api/v1/query_range", [
                ("query", query), ("start", String(start)), ("end", String(end)), ("limit", "5000"), ("direction", "forward"),
            ])
            let entries = try ResultPrinter.entries(body).filter { !shownAtStart.contains($0.identity) }
            for entry in entries { printer.printEntry(entry) }
            if let last = entries.last {
                // Restart at the last instant shown; lines of that instant already shown are skipped.
                if last.nanoseconds != start { shownAtStart = [] }
                start = last.nanoseconds
                for entry in entries where entry.nanoseconds == start { shownAtStart.insert(entry.identity) }
            }
            fflush(nil)
            Thread.sleep(forTimeInterval: interval)
        }
    }

    static func nowNanoseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }
}

/// A failure the CLI reports as `Error: …` without the usage text (which is for mistakes
/// in the command line itself).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Calls the API and turns its errors into the CLI's.
struct LogsAPIClient {
    let client: HTTPClient

    init(url: String) throws { client = try HTTPClient(baseURL: url) }

    func get(_ path: String, _ parameters: [(String, String)]) throws -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = parameters.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        let response = try client.get(path + "?" + query)
        let body = Data(response.body)
        guard response.status == 200 else {
            if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let message = object["error"] as? String {
                throw CLIError("query failed (\(response.status)): \(message)")
            }
            throw CLIError("query failed (\(response.status)): \(String(decoding: response.body, as: UTF8.self))")
        }
        return body
    }
}

/// Prints Loki answers as text lines or NDJSON.
struct ResultPrinter {
    let output: OutputFormat
    /// Oldest lines first; otherwise newest first, as the API answered.
    var forward = true

    struct Entry {
        var nanoseconds: Int64
        var labels: [String: String]
        var line: String

        var labelsText: String { "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}" }
        var identity: String { "\(nanoseconds) \(labelsText) \(line)" }
    }

    static func data(_ body: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any], let data = object["data"] as? [String: Any] else {
            throw CLIError("unexpected answer from the API")
        }
        return data
    }

    /// The entries of a streams answer, merged across streams in time order.
    static func entries(_ body: Data) throws -> [Entry] {
        let data = try data(body)
        guard data["resultType"] as? String == "streams" else { throw CLIError("tail needs a log query, not a metric query") }
        var entries: [Entry] = []
        for stream in data["result"] as? [[String: Any]] ?? [] {
            let labels = stream["stream"] as? [String: String] ?? [:]
            for value in stream["values"] as? [[Any]] ?? [] {
                guard value.count >= 2, let time = value[0] as? String, let nanoseconds = Int64(time), let line = value[1] as? String else { continue }
                entries.append(Entry(nanoseconds: nanoseconds, labels: labels, line: line))
            }
        }
        return entries.sorted { ($0.nanoseconds, $0.labelsText) < ($1.nanoseconds, $1.labelsText) }
    }

    func print(_ body: Data) throws {
        let data = try Self.data(body)
        switch data["resultType"] as? String {
        case "streams":
            let entries = try Self.entries(body)
            for entry in forward ? entries : entries.reversed() { printEntry(entry) }
        case "matrix":
            for series in data["result"] as? [[String: Any]] ?? [] {
                let labels = series["metric"] as? [String: String] ?? [:]
                for value in series["values"] as? [[Any]] ?? [] { printSample(labels, value) }
            }
        case "vector":
            for sample in data["result"] as? [[String: Any]] ?? [] {
                printSample(sample["metric"] as? [String: String] ?? [:], sample["value"] as? [Any] ?? [])
            }
        default:
            throw CLIError("unexpected result type in the API's answer")
        }
    }

    func printEntry(_ entry: Entry) {
        switch output {
        case .text, .json:
            Swift.print("\(Self.rfc3339(entry.nanoseconds)) \(entry.labelsText) \(entry.line)")
        case .ndjson:
            let object: [String: Any] = ["timestamp": Self.rfc3339(entry.nanoseconds), "labels": entry.labels, "line": entry.line]
            if let json = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
                Swift.print(String(decoding: json, as: UTF8.self))
            }
        }
    }

    private func printSample(_ labels: [String: String], _ value: [Any]) {
        guard value.count == 2, let seconds = (value[0] as? NSNumber)?.doubleValue, let number = value[1] as? String else { return }
        let nanoseconds = Int64((seconds * 1000).rounded()) * 1_000_000
        let labelsText = "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
        switch output {
        case .text, .json: Swift.print("\(Self.rfc3339(nanoseconds)) \(labelsText) \(number)")
        case .ndjson:
            let object: [String: Any] = ["timestamp": Self.rfc3339(nanoseconds), "labels": labels, "value": Double(number) ?? .nan]
            if let json = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                Swift.print(String(decoding: json, as: UTF8.self))
            }
        }
    }

    static func rfc3339(_ nanoseconds: Int64) -> String { Timestamp(nanosecondsSinceEpoch: nanoseconds).rfc3339 }
}

