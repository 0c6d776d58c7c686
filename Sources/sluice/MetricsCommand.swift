import ArgumentParser
import Foundation
import SluiceModel

/// `sluice metrics query`: PromQL over the appliance's Prometheus-compatible API, as
/// `promtool query instant|range` does.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Query the metric store (PromQL).",
        subcommands: [MetricsQueryCommand.self])
}

struct MetricsQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a PromQL query: at one instant, or over a range with --since or --from.",
        discussion: """
            Examples:
              sluice metrics query 'node_load1'
              sluice metrics query 'sum by (host) (rate(node_network_receive_bytes_total[5m]))' --since 1h --step 1m
              sluice metrics query '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes' --at 2026-11-22T06:00:00Z
            """)

    @Argument(help: "The PromQL query.")
    var query: String

    @Option(help: "Evaluate over this much time up to now (e.g. 15m, 1h, 7d); a range query.")
    var since: String?

    @Option(help: "Range start: RFC 3339 or Unix seconds; a range query.")
    var from: String?

    @Option(help: "Range end: RFC 3339 or Unix seconds. Default now.")
    var to: String?

    @Option(help: "The instant of an instant query: RFC 3339 or Unix seconds. Default now.")
    var at: String?

    @Option(help: "Resolution of a range query (e.g. 15s, 1m). Default: about 250 points.")
    var step: String?

    @Option(help: "text, json (the API's answer) or ndjson (one object per sample).")
    var output: OutputFormat = .text

    @OptionGroup var api: APIOptions

    func validate() throws {
        if at != nil, since != nil || from != nil {
            throw ValidationError("--at is for an instant query; --since and --from make a range query")
        }
    }

    func run() throws {
        let client = try LogsAPIClient(url: api.url)
        let body: Data
        if since != nil || from != nil {
            let now = Date().timeIntervalSince1970
            let end = try to.map { try Self.seconds($0, option: "--to") } ?? now
            let start: Double
            if let from {
                start = try Self.seconds(from, option: "--from")
            } else {
                guard let span = DurationText.nanoseconds(since ?? "1h"), span > 0 else {
                    throw ValidationError("--since '\(since ?? "")' is not a duration (e.g. 15m, 1h)")
                }
                start = end - Double(span) / 1e9
            }
            let stepText = step ?? String(max(1, Int(((end - start) / 250).rounded(.up))))
            body = try client.get("/api/v1/query_range", [
                ("query", query), ("start", Self.text(start)), ("end", Self.text(end)), ("step", stepText),
            ])
        } else {
            var parameters = [("query", query)]
            if let at { parameters.append(("time", Self.text(try Self.seconds(at, option: "--at")))) }
            body = try client.get("/api/v1/query", parameters)
        }
        if output == .json {
            FileHandle.standardOutput.write(body)
            print()
            return
        }
        let data = try ResultPrinter.data(body)
        if data["resultType"] as? String == "scalar" || data["resultType"] as? String == "string",
           let pair = data["result"] as? [Any], pair.count == 2 {
            print(pair[1])
            return
        }
        try ResultPrinter(output: output).print(body)
    }

    /// Unix seconds (with a fraction) or RFC 3339.
    static func seconds(_ text: String, option: String) throws -> Double {
        if let seconds = Double(text), seconds.isFinite { return seconds }
        guard let time = Timestamp(rfc3339: text) else {
            throw ValidationError("\(option) '\(text)' is neither RFC 3339 nor Unix seconds")
        }
        return Double(time.nanosecondsSinceEpoch) / 1e9
    }

    static func text(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}
