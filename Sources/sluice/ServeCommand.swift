import ArgumentParser
import Broker
import Dispatch
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

    @Option(name: .customLong("data-dir"), help: "Folder of the commit log.")
    var dataDirectory: String = "./sluice-data"

    @Option(name: .customLong("kafka-listen"), help: "HOST:PORT of the Kafka listener.")
    var kafkaListen: String = "127.0.0.1:9092"

    @Option(name: .customLong("kafka-advertised"), help: "HOST:PORT that clients are told to connect to (default: the listen address).")
    var kafkaAdvertised: String?

    @Option(help: "Partitions of automatically created topics.")
    var defaultPartitions: Int32 = 1

    func validate() throws {
        _ = try HostPort(parsing: kafkaListen)
        if let kafkaAdvertised { _ = try HostPort(parsing: kafkaAdvertised) }
        guard defaultPartitions > 0 else { throw ValidationError("--default-partitions must be at least 1") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "sluice")
        logger.logLevel = .info
        var config = BrokerConfig()
        config.dataDirectory = dataDirectory
        let listen = try HostPort(parsing: kafkaListen)
        config.listenHost = listen.host
        config.listenPort = listen.port
        if let kafkaAdvertised {
            let advertised = try HostPort(parsing: kafkaAdvertised)
            config.advertisedHost = advertised.host
            config.advertisedPort = advertised.port
        }
        config.defaultPartitions = defaultPartitions

        let server = try KafkaServer(config: config, logger: logger)
        let address = try await server.start()
        if listen.port == 0 {
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
