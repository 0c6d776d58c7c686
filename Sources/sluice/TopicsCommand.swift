import ArgumentParser
import Foundation

/// `sluice topics list|describe`: the broker's topics from `/api/sluice/v1/status`.
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Show the broker's topics, their partitions and who consumes them.",
        subcommands: [TopicsListCommand.self, TopicsDescribeCommand.self])

    static func status(_ api: APIOptions) throws -> [String: Any] {
        try ResultPrinter.data(try LogsAPIClient(url: api.url).get("/api/sluice/v1/status", []))
    }

    /// Rows as aligned columns (the last one left unpadded).
    static func printTable(_ rows: [[String]]) {
        guard let columns = rows.first?.count, columns > 0 else { return }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let padded = (0..<columns - 1).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            print((padded + [row[columns - 1]]).joined(separator: "  "))
        }
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}

struct TopicsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List topics with their partitions, records kept and size on disk.")

    @OptionGroup var api: APIOptions

    func run() throws {
        let topics = try TopicsCommand.status(api)["topics"] as? [[String: Any]] ?? []
        guard !topics.isEmpty else {
            print("no topics")
            return
        }
        var rows = [["TOPIC", "PARTITIONS", "RECORDS", "SIZE"]]
        for topic in topics {
            let partitions = topic["partitions"] as? [[String: Any]] ?? []
            let records = partitions.reduce(0) { $0 + (($1["log_end_offset"] as? Int ?? 0) - ($1["log_start_offset"] as? Int ?? 0)) }
            let size = partitions.reduce(0) { $0 + ($1["size_bytes"] as? Int ?? 0) }
            rows.append([topic["name"] as? String ?? "", "\(partitions.count)", "\(records)", TopicsCommand.bytes(size)])
        }
        TopicsCommand.printTable(rows)
    }
}

struct TopicsDescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "A topic's partitions (offsets, size, segments) and its consumers' committed offsets and lag.")

    @Argument(help: "The topic.")
    var topic: String

    @OptionGroup var api: APIOptions

    func run() throws {
        let status = try TopicsCommand.status(api)
        let topics = status["topics"] as? [[String: Any]] ?? []
        guard let found = topics.first(where: { $0["name"] as? String == topic }) else {
            let names = topics.compactMap { $0["name"] as? String }
            throw ValidationError("no topic named '\(topic)'" + (names.isEmpty ? "" : " (topics: \(names.joined(separator: ", ")))"))
        }
        var rows = [["PARTITION", "START", "END", "SEGMENTS", "SIZE"]]
        for partition in found["partitions"] as? [[String: Any]] ?? [] {
            rows.append(["\(partition["partition"] as? Int ?? 0)", "\(partition["log_start_offset"] as? Int ?? 0)",
                         "\(partition["log_end_offset"] as? Int ?? 0)", "\(partition["segments"] as? Int ?? 0)",
                         TopicsCommand.bytes(partition["size_bytes"] as? Int ?? 0)])
        }
        TopicsCommand.printTable(rows)
        var consumers = [["CONSUMER", "KIND", "STATE", "PARTITION", "COMMITTED", "END", "LAG"]]
        for consumer in status["consumers"] as? [[String: Any]] ?? [] {
            for partition in consumer["partitions"] as? [[String: Any]] ?? [] where partition["topic"] as? String == topic {
                consumers.append([consumer["group"] as? String ?? "", consumer["kind"] as? String ?? "", consumer["state"] as? String ?? "",
                                  "\(partition["partition"] as? Int ?? 0)", "\(partition["committed"] as? Int ?? 0)",
                                  "\(partition["log_end_offset"] as? Int ?? 0)", "\(partition["lag"] as? Int ?? 0)"])
            }
        }
        print()
        if consumers.count == 1 { print("no consumers") } else { TopicsCommand.printTable(consumers) }
    }
}
