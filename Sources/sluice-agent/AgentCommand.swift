import Agent
import ArgumentParser
import Dispatch
import Glibc
import Logging
import SluiceModel

/// `sluice-agent`: the shipper installed on every server. Tails files and journald and
/// samples host metrics into a Sluice appliance (or any Kafka cluster), without loss.
@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-agent",
        abstract: "Sluice's shipper: tails files and journald and samples host metrics into a Sluice appliance.",
        version: SluiceVersion.current,
        subcommands: [CheckConfig.self])

    @Option(name: .long, help: "The agent's YAML configuration file.")
    var config: String = "/etc/sluice/agent.yml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice-agent")
        let agentConfig: AgentConfig
        do { agentConfig = try AgentConfig.load(path: config) } catch {
            throw ValidationError("\(error)")
        }
        let sender = try KafkaRecordSender(settings: agentConfig.kafka,
                                           queuedBytes: agentConfig.delivery.windowBytes * 2 + (16 << 20), logger: logger)
        let runtime = try AgentRuntime(config: agentConfig, sender: sender, logger: logger)
        let task = Task { try await runtime.run() }
        let signals = ShutdownSignals { signal in
            logger.info("received \(signal); stopping")
            task.cancel()
        }
        defer { signals.cancel() }
        try await task.value
    }
}

/// `sluice-agent check-config FILE`: exit 0 when the file is valid, 1 with the reason when not.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check an agent configuration file without running anything.")

    @Argument(help: "The YAML file to check.")
    var file: String

    func run() throws {
        do {
            let config = try AgentConfig.load(path: file)
            print("\(file): OK (\(config.inputs.count) input\(config.inputs.count == 1 ? "" : "s"): \(config.inputs.map(\.name).joined(separator: ", ")))")
        } catch {
            var standardError = StandardError()
            print("error: \(error)", to: &standardError)
            throw ExitCode(1)
        }
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}

/// SIGTERM and SIGINT start a clean shutdown (flush, save checkpoints) instead of killing.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (String) -> Void) {
        sources = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(name) }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
