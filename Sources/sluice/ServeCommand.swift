import ArgumentParser
import Broker
import Dispatch
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `sluice serve`: the appliance. Today: the Kafka-compatible broker over the commit log.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the appliance: the Kafka-protocol broker over the commit log.",
        discussion: "Stops gracefully on SIGINT or SIGTERM: pending fsyncs complete and every partition is closed cleanly.")

    @Option(help: "YAML configuration file (etc/sluice.yml documents every key); without it, the embedded defaults.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Folder of the commit log (default ./sluice-data).")
    var dataDirectory: String?

    @Option(name: .customLong("kafka-listen"), help: "HOST:PORT of the Kafka listener (default 127.0.0.1:9092).")
    var kafkaListen: String?

    @Option(name: .customLong("kafka-advertised"), help: "HOST:PORT that clients are told to connect to (default: the listen address).")
    var kafkaAdvertised: String?

    @Option(help: "Partitions of automatically created topics (default 1).")
    var defaultPartitions: Int32?

    func validate() throws {
        if let kafkaListen { _ = try HostPort(parsing: kafkaListen) }
        if let kafkaAdvertised { _ = try HostPort(parsing: kafkaAdvertised) }
        if let defaultPartitions, defaultPartitions < 1 { throw ValidationError("--default-partitions must be at least 1") }
    }

    /// Embedded defaults, then the file, then the flags.
    func brokerConfig() throws -> BrokerConfig {
        var result = BrokerConfig()
        if let config {
            do { try ServeConfiguration.load(path: config).apply(to: &result) } catch {
                throw ValidationError("\(error)")
            }
        }
        if let dataDirectory { result.dataDirectory = dataDirectory }
        if let kafkaListen {
            let listen = try HostPort(parsing: kafkaListen)
            (result.listenHost, result.listenPort) = (listen.host, listen.port)
        }
        if let kafkaAdvertised {
            let advertised = try HostPort(parsing: kafkaAdvertised)
            (result.advertisedHost, result.advertisedPort) = (advertised.host, advertised.port)
        }
        if let defaultPartitions { result.defaultPartitions = defaultPartitions }
        return result
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "sluice")
        logger.logLevel = .info
        let config = try brokerConfig()
        let server = try KafkaServer(config: config, logger: logger)
        let address = try await server.start()
        if config.listenPort == 0 {
            // Tests start on port 0 and read the port from here.
            print("kafka-port \(address.port ?? 0)")
            fflush(nil)
        }
        let signal = await Self.waitForTerminationSignal()
        logger.info("received \(signal), shutting down")
        try await server.shutdown()
    }

    /// Suspends until SIGINT or SIGTERM arrives; returns its name.
    static func waitForTerminationSignal() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "sluice.signals")
            let fired = SignalLatch()
            var sources: [any DispatchSourceSignal] = []
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    guard fired.fire() else { return }
                    continuation.resume(returning: name)
                }
                source.resume()
                sources.append(source)
            }
            SignalLatch.keepAlive(sources)
        }
    }
}

/// Resumes the signal continuation once, and keeps the signal sources alive.
final class SignalLatch: @unchecked Sendable {
    private var fired = false
    private static nonisolated(unsafe) var retained: [any DispatchSourceSignal] = []

    /// True the first time only; called on the serial signal queue.
    func fire() -> Bool {
        defer { fired = true }
        return !fired
    }

    static func keepAlive(_ sources: [any DispatchSourceSignal]) { retained = sources }
}

/// `HOST:PORT`, with `[v6]:PORT` for IPv6.
struct HostPort {
    var host: String
    var port: Int

    init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("'\(text)' is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("'\(text)' has no host") }
        self.host = host
        self.port = port
    }
}
