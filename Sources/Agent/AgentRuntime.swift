import AgentInputs
import Logging
import SluiceModel

/// The running agent: one checkpoint store, delivery window and shipper shared by all
/// inputs, one task per input, and the checkpoint writer. `run()` returns after the task
/// running it is cancelled (SIGTERM/SIGINT) and the shutdown has flushed what it could.
public final class AgentRuntime: Sendable {
    public let config: AgentConfig
    public let shipper: Shipper
    public let counters: AgentCounters
    private let logger: Logger

    public init(config: AgentConfig, sender: any RecordSender, logger: Logger) throws {
        self.config = config
        self.logger = logger
        counters = AgentCounters()
        let checkpoints = try CheckpointStore(directory: config.stateDirectory)
        let window = DeliveryWindow(maxBytes: config.delivery.windowBytes, maxEvents: config.delivery.windowEvents)
        shipper = Shipper(sender: sender, window: window, checkpoints: checkpoints, counters: counters,
                          retryBackoffNanoseconds: config.delivery.retryBackoffNanoseconds, logger: logger)
    }

    public func run() async throws {
        // Build every input first, so a bad one fails the start rather than half the agent.
        var runners: [@Sendable () async -> Void] = []
        for input in config.inputs {
            let context = SourceContext(input: input.name, host: config.host, shipper: shipper, counters: counters, logger: logger)
            switch input {
            case .file(let fileConfig):
                let source = try UncheckedBox(FileSource(config: fileConfig, context: context))
                runners.append { await source.value.run() }
            case .journald(let journalConfig):
                let source = try UncheckedBox(JournaldSource(config: journalConfig, context: context))
                runners.append { await source.value.run() }
            case .hostMetrics(let metricsConfig):
                let source = try HostMetricsSource(config: metricsConfig, context: context, stateDirectory: config.stateDirectory)
                runners.append { await source.run() }
            }
        }
        logger.info("agent started", metadata: ["host": "\(config.host)", "inputs": "\(config.inputs.count)",
                                                 "bootstrap": "\(config.kafka.bootstrap)"])
        let writer = Task { await shipper.runCheckpointWriter() }
        await withTaskGroup(of: Void.self) { group in
            for runner in runners { group.addTask { await runner() } }
            await group.waitForAll()
        }
        // Cancelled: the inputs stopped reading. Let in-flight batches finish so their
        // checkpoints can be saved; what does not finish is read again after a restart.
        let drained = await shipper.drain(timeoutNanoseconds: config.delivery.shutdownTimeoutNanoseconds)
        if !drained {
            logger.warning("shutting down with unacknowledged records; they will be sent again after the restart",
                           metadata: ["batches": "\(shipper.batchesInFlight)"])
        }
        writer.cancel()
        await writer.value
        shipper.writeCheckpoint()
        shipper.sender.close()
        // Closing flushes: what was acknowledged meanwhile is saved too.
        shipper.writeCheckpoint()
        logger.info("agent stopped")
    }
}

/// Carries a non-Sendable source into the one task that runs it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
