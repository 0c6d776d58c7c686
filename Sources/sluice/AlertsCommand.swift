import ArgumentParser
import Foundation

/// `sluice alerts list`: the pending and firing alerts, from `/api/v1/alerts`.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Show the alerts the appliance's rules produce.",
        subcommands: [AlertsListCommand.self])
}

struct AlertsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List pending and firing alerts with their labels, value and since when.")

    @Option(help: "text, json (the API's answer) or ndjson (one object per alert).")
    var output: OutputFormat = .text

    @OptionGroup var api: APIOptions

    func run() throws {
        let body = try LogsAPIClient(url: api.url).get("/api/v1/alerts", [])
        if output == .json {
            FileHandle.standardOutput.write(body)
            print()
            return
        }
        let data = try ResultPrinter.data(body)
        let alerts = (data["alerts"] as? [[String: Any]] ?? []).sorted {
            (($0["labels"] as? [String: String])?["alertname"] ?? "") < (($1["labels"] as? [String: String])?["alertname"] ?? "")
        }
        if output == .ndjson {
            for alert in alerts {
                if let json = try? JSONSerialization.data(withJSONObject: alert, options: [.sortedKeys, .withoutEscapingSlashes]) {
                    print(String(decoding: json, as: UTF8.self))
                }
            }
            return
        }
        guard !alerts.isEmpty else {
            print("no pending or firing alerts")
            return
        }
        var rows = [["ALERT", "STATE", "SINCE", "VALUE", "LABELS"]]
        for alert in alerts {
            var labels = alert["labels"] as? [String: String] ?? [:]
            let name = labels.removeValue(forKey: "alertname") ?? ""
            let labelsText = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ")
            rows.append([name, alert["state"] as? String ?? "", alert["activeAt"] as? String ?? "",
                         alert["value"] as? String ?? "", "{" + labelsText + "}"])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let padded = (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            print((padded + [row[4]]).joined(separator: "  "))
        }
    }
}
