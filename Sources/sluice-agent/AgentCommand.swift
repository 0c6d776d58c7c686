import Agent
import Dispatch
import Glibc
import Logging
import SluiceModel
import Synchronization

/// `sluice-agent`: the shipper installed on every server. Tails files and journald and
/// samples host metrics into a Sluice appliance (or any Kafka cluster), without loss.
///
/// The command line is parsed by hand rather than with ArgumentParser: ArgumentParser
/// discovers options through reflection, and in a statically linked binary the runtime's
/// first conformance lookups fault in most of the binary's pages (~12 MiB of idle RSS
/// for three options).
@main
enum AgentCommand {
    static let usage = """
        OVERVIEW: Sluice's shipper: tails files and journald and samples host metrics into a Sluice appliance.

        USAGE: sluice-agent [--config <config>] [--log-level <log-level>]
               sluice-agent check-config <file>

        OPTIONS:
          --config <config>       The agent's YAML configuration file. (default: /etc/sluice/agent.yml)
          --log-level <log-level> Log level: trace, debug, info, notice, warning, error. (default: info)
          --version               Show the version.
          -h, --help              Show help information.

        SUBCOMMANDS:
          check-config <file>     Check an agent configuration file without running anything
                                  (exit 0 when valid, 1 with the reason when not).

        """

    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "check-config" {
            arguments.removeFirst()
            guard arguments.count == 1, !arguments[0].hasPrefix("-") else {
                fail("check-config takes exactly one file", usage: true)
            }
            checkConfig(arguments[0])
        }
        var configPath = "/etc/sluice/agent.yml"
        var levelName = "info"
        while !arguments.isEmpty {
            let argument = arguments.removeFirst()
            switch argument {
            case "-h", "--help", "help":
                print(usage, terminator: "")
                exit(0)
            case "--version":
                print(SluiceVersion.current)
                exit(0)
            case "--config", "--log-level":
                guard let value = arguments.first, !value.hasPrefix("--") else { fail("missing value for '\(argument)'", usage: true) }
                arguments.removeFirst()
                if argument == "--config" { configPath = value } else { levelName = value }
            default:
                if argument.hasPrefix("--config=") {
                    configPath = String(argument.dropFirst("--config=".count))
                } else if argument.hasPrefix("--log-level=") {
                    levelName = String(argument.dropFirst("--log-level=".count))
                } else {
                    fail("unknown option '\(argument)'", usage: true)
                }
            }
        }
        guard let level = Logger.Level(rawValue: levelName) else {
            fail("--log-level must be one of trace, debug, info, notice, warning, error", usage: false)
        }
        do {
            try await run(configPath: configPath, level: level)
        } catch {
            fail("\(error)", usage: false)
        }
    }

    static func run(configPath: String, level: Logger.Level) async throws {
        let config = try AgentConfig.load(path: configPath)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice-agent")
        let sender = try KafkaRecordSender(settings: config.kafka,
                                           queuedBytes: config.delivery.windowBytes * 2 + (16 << 20), logger: logger)
        let runtime = try AgentRuntime(config: config, sender: sender, logger: logger)
        let task = Task { try await runtime.run() }
        let signals = ShutdownSignals { signal in
            logger.info("received \(signal); stopping")
            task.cancel()
        }
        defer { signals.cancel() }
        try await task.value
    }

    /// `sluice-agent check-config FILE`: exit 0 when the file is valid, 1 with the reason when not.
    static func checkConfig(_ file: String) -> Never {
        do {
            let config = try AgentConfig.load(path: file)
            let names = config.inputs.map(\.name).joined(separator: ", ")
            print("\(file): OK (\(config.inputs.count) input\(config.inputs.count == 1 ? "" : "s"): \(names))")
            exit(0)
        } catch {
            fail("\(error)", usage: false)
        }
    }

    static func fail(_ message: String, usage showUsage: Bool) -> Never {
        var text = "error: \(message)\n"
        if showUsage { text += "\n" + usage }
        var bytes = Array(text.utf8)
        _ = write(2, &bytes, bytes.count)
        exit(showUsage ? 64 : 1)
    }
}

/// SIGTERM and SIGINT start a clean shutdown (flush, save checkpoints) instead of killing;
/// another one more than a second later exits at once (what was not saved is sent again
/// after the restart). Signals within that second count as one: a Ctrl-C in a shell often
/// reaches the agent both directly and through a wrapper script.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]
    private let received = Received()

    final class Received: Sendable {
        /// When the first signal arrived (monotonic nanoseconds).
        let first = Mutex<UInt64?>(nil)
    }

    init(_ handler: @escaping @Sendable (String) -> Void) {
        let received = received
        sources = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                var spec = timespec()
                clock_gettime(CLOCK_MONOTONIC, &spec)
                let now = UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
                let first = received.first.withLock { first -> UInt64? in
                    defer { if first == nil { first = now } }
                    return first
                }
                if first == nil {
                    handler(name)
                } else if now - first! > 1_000_000_000 {
                    var bytes = Array("sluice-agent: second \(name); exiting now\n".utf8)
                    _ = write(2, &bytes, bytes.count)
                    _exit(130)
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
