import ArgumentParser
import SluiceModel

/// `sluice`: the appliance and its CLI. Subcommands arrive with the issues that build them
/// (`logs`, `metrics`, `alerts`, `topics`, `replay`).
@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Sluice: a log-aggregation and metrics pipeline appliance.",
        discussion: """
            A Kafka-compatible broker over an append-only commit log, with processors that
            parse logs and metrics into an HTTP search API with alerting and replay.
            """,
        version: SluiceVersion.current,
        subcommands: [ServeCommand.self, LogsCommand.self, MetricsCommand.self, AlertsCommand.self,
                      TopicsCommand.self, ReplayCommand.self])
}
