import ArgumentParser
import SluiceModel

/// `sluice-agent`: the shipper installed on every server. Its inputs (files, journald,
/// host metrics) and `--config` arrive with the agent issue.
@main
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-agent",
        abstract: "Sluice's shipper: tails files and journald and samples host metrics into a Sluice appliance.",
        version: SluiceVersion.current)
}
