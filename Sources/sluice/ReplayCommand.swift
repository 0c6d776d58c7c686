import Alerting
import ArgumentParser
import Broker
import Foundation
import Logging
import Processors
import Replay
import SluiceModel

#if canImport(Glibc)
import Glibc
#endif

/// `sluice replay`: a topic between two event times, through the appliance's replay API
/// (`POST /api/sluice/v1/replay`): rules evaluated in event time as a backtest, or the
/// records re-published to another topic.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Backtest alert rules over a topic's past metrics, or re-publish a time window of a topic.",
        discussion: """
            Reads the topic from the offset of --from (offsets-for-times) to --to, with enough data before --from for the rules' ranges and lookback, and evaluates the rules in event time as the live rule manager would: every group at each multiple of its interval, with `for` and `keep_firing_for`. Evaluation starts with no alerts held, so a condition already true at --from becomes pending there. The same topic content and rules always give the same output.

            Prints every alert transition (time, rule, labels, from, to, value) in order of time, rule and labels, then a summary per alerting rule: `fired` counts transitions into firing; `flaps` counts transitions into firing of an alert (same labels) that had already resolved earlier in the window, i.e. pages that came back (keep_firing_for bridging a dip is no flap); `errors` counts failed evaluations of the rule's expression.

            With --into-topic the window's records are copied to that topic with their keys and timestamps; rules are then evaluated only if --rules is given too. Without --rules the appliance's configured rule files are used. A progress bar is shown on standard error when it is a terminal.

            Examples:
              sluice replay --from 2026-11-21T00:00:00Z --to 2026-11-22T00:00:00Z --rules etc/rules/node.yml
              sluice replay --from now-6h --rules a.yml --rules b.yml --output ndjson
              sluice replay --from 2026-11-21T13:00:00Z --to 2026-11-21T14:00:00Z --into-topic incident-1300
            """)

    @Option(help: "The topic to replay.")
    var topic = "metrics"

    @Option(help: "Window start: RFC 3339, Unix seconds, `now`, or relative to now (now-2h, or --from=-2h).")
    var from: String

    @Option(help: "Window end (inclusive), in the same forms. Default now.")
    var to = "now"

    @Option(name: .customLong("rules"), help: ArgumentHelp("A rule file to evaluate (repeatable); read here and sent to the appliance.", valueName: "file"))
    var rules: [String] = []

    @Option(help: "table (transitions, then a SUMMARY section) or ndjson (one JSON object per transition, summary and the final totals).")
    var output: ReplayOutput = .table

    @Option(name: .customLong("into-topic"), help: "Re-publish the window's records to this topic.")
    var intoTopic: String?

    @OptionGroup var api: APIOptions

    enum ReplayOutput: String, ExpressibleByArgument, CaseIterable {
        case table, ndjson
    }

    func validate() throws {
        let now = Date().timeIntervalSince1970
        guard try Self.milliseconds(from, now: now, option: "--from") <= Self.milliseconds(to, now: now, option: "--to") else {
            throw ValidationError("--to is before --from")
        }
    }

    func run() throws {
        let now = Date().timeIntervalSince1970
        let start = try Self.milliseconds(from, now: now, option: "--from")
        let end = try Self.milliseconds(to, now: now, option: "--to")
        var body = JSONWriter(capacity: 4096)
        body.raw("{\"topic\":")
        body.string(topic)
        body.raw(",\"from\":")
        body.string(Timestamp(nanosecondsSinceEpoch: start * 1_000_000).rfc3339)
        body.raw(",\"to\":")
        body.string(Timestamp(nanosecondsSinceEpoch: end * 1_000_000).rfc3339)
        if !rules.isEmpty {
            body.raw(",\"rules\":[")
            for (index, path) in rules.enumerated() {
                guard let content = FileManager.default.contents(atPath: path) else {
                    throw CLIError("cannot read rule file \(path)")
                }
                if index > 0 { body.raw(",") }
                body.raw("{\"name\":")
                body.string(path)
                body.raw(",\"content\":")
                _ = body.string(bytes: [UInt8](content))
                body.raw("}")
            }
            body.raw("]")
        }
        if let intoTopic {
            body.raw(",\"into_topic\":")
            body.string(intoTopic)
        }
        body.raw("}")

        let client = try HTTPClient(baseURL: api.url)
        var printer = ReplayPrinter(output: output, showsProgress: isatty(STDERR_FILENO) == 1)
        let response = try client.postStreamingLines("/api/sluice/v1/replay", body: body.bytes, contentType: "application/json") { line in
            try printer.handle(line)
        }
        guard response.status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? String
            throw CLIError("replay failed (\(response.status)): \(message ?? String(decoding: response.body, as: UTF8.self))")
        }
        try printer.finish()
    }

    /// Milliseconds since the epoch from RFC 3339, Unix seconds, `now`, `-2h` or `now-2h`.
    static func milliseconds(_ text: String, now: Double, option: String) throws -> Int64 {
        let nowMilliseconds = Int64((now * 1000).rounded())
        if text == "now" { return nowMilliseconds }
        var relative = Substring(text)
        if relative.hasPrefix("now") { relative = relative.dropFirst(3) }
        if relative.hasPrefix("-"), let span = DurationText.nanoseconds(String(relative.dropFirst())) {
            return nowMilliseconds - span / 1_000_000
        }
        return Int64((try MetricsQueryCommand.seconds(text, option: option) * 1000).rounded())
    }
}

/// Turns the replay API's NDJSON into the chosen output: the lines themselves (but
/// progress), or a table of transitions and a summary. Progress goes to standard error.
struct ReplayPrinter {
    let output: ReplayCommand.ReplayOutput
    let showsProgress: Bool
    private var transitions: [[String]] = []
    private var summaries: [[String]] = []
    private var done: [String: Any]?
    private var progressShown = false

    init(output: ReplayCommand.ReplayOutput, showsProgress: Bool) {
        self.output = output
        self.showsProgress = showsProgress
    }

    mutating func handle(_ line: [UInt8]) throws {
        guard !line.isEmpty else { return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              let type = object["type"] as? String else {
            throw CLIError("unexpected line from the replay API: \(String(decoding: line, as: UTF8.self))")
        }
        switch type {
        case "progress":
            if showsProgress { showProgress(object) }
            return
        case "error":
            clearProgress()
            throw CLIError("replay failed: \(object["error"] as? String ?? "unknown error")")
        default:
            break
        }
        if output == .ndjson {
            clearProgress()
            FileHandle.standardOutput.write(Data(line + [10]))
            return
        }
        switch type {
        case "transition":
            var labels = object["labels"] as? [String: String] ?? [:]
            labels["alertname"] = nil
            let labelsText = "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
            transitions.append([object["time"] as? String ?? "", object["rule"] as? String ?? "", object["from"] as? String ?? "",
                                object["to"] as? String ?? "", Self.number(object["value"]), labelsText])
        case "summary":
            summaries.append([object["rule"] as? String ?? "", Self.number(object["fired"]), Self.number(object["flaps"]),
                              Self.number(object["transitions"]), Self.number(object["errors"]),
                              object["file"] as? String ?? ""])
        case "done":
            done = object
        default:
            break
        }
    }

    mutating func finish() throws {
        clearProgress()
        guard output == .table else { return }
        if let done, let count = (done["republished"] as? NSNumber)?.intValue, count > 0 || summaries.isEmpty {
            Swift.print("re-published \(count) records")
        }
        if !summaries.isEmpty || !transitions.isEmpty {
            if transitions.isEmpty {
                Swift.print("no transitions")
            } else {
                Self.printTable([["TIME", "RULE", "FROM", "TO", "VALUE", "LABELS"]] + transitions)
            }
            Swift.print("")
            Swift.print("SUMMARY")
            Self.printTable([["RULE", "FIRED", "FLAPS", "TRANSITIONS", "ERRORS", "FILE"]] + summaries)
        }
        if let done, !summaries.isEmpty {
            Swift.print("")
            Swift.print("\(Self.number(done["records"])) records, \(Self.number(done["samples"])) samples, \(Self.number(done["evaluations"])) evaluations")
        }
    }

    private static func printTable(_ rows: [[String]]) {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        for row in rows {
            var cells: [String] = []
            for (column, cell) in row.enumerated() {
                cells.append(column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0))
            }
            Swift.print(cells.joined(separator: "  "))
        }
    }

    private static func number(_ value: Any?) -> String {
        switch value {
        case let number as NSNumber:
            let double = number.doubleValue
            return double == double.rounded() && abs(double) < 1e15 ? String(Int64(double)) : String(double)
        case let text as String: return text
        default: return ""
        }
    }

    // MARK: Progress on a terminal

    private mutating func showProgress(_ object: [String: Any]) {
        let width = 30
        let fraction: Double
        let detail: String
        if object["phase"] as? String == "evaluate" {
            fraction = (object["fraction"] as? NSNumber)?.doubleValue ?? 0
            detail = "evaluating through \(object["evaluated_through"] as? String ?? "")"
        } else {
            let read = (object["bytes_read"] as? NSNumber)?.doubleValue ?? 0
            let total = (object["bytes_total"] as? NSNumber)?.doubleValue ?? 0
            fraction = total > 0 ? min(1, read / total) : 0
            detail = String(format: "reading %.1f / %.1f MB, %d records", read / 1e6, total / 1e6,
                            (object["records"] as? NSNumber)?.intValue ?? 0)
        }
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data(String(format: "\r\u{1B}[2K[%@] %3d%% %@", bar, Int(fraction * 100), detail).utf8))
        progressShown = true
    }

    private mutating func clearProgress() {
        guard progressShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        progressShown = false
    }
}

extension ServeCommand {
    /// Replay inside `sluice serve`: the configured rule files by default, temporary
    /// stores under `<data dir>/replay`, evaluation settings as the live rule manager's.
    static func makeReplay(_ alerting: AlertingConfiguration, topics: TopicStore, writer: LocalTopicWriter,
                           dataDirectory: String, logger: Logger) -> ReplayService {
        var configuration = ReplayService.Configuration(temporaryDirectory: dataDirectory + "/replay")
        configuration.ruleFilePatterns = alerting.ruleFiles
        configuration.evaluation.defaultIntervalMilliseconds = alerting.evaluationIntervalMilliseconds
        configuration.evaluation.externalLabels = alerting.externalLabels
        configuration.evaluation.externalURL = alerting.externalURL
        return ReplayService(topics: topics, writer: writer, configuration: configuration, logger: logger)
    }
}
