import CommitLog
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The Kafka listener over the commit log: `start` opens the data directory (recovering
/// it if needed) and binds; `shutdown` stops accepting, completes pending fsyncs and
/// closes every partition cleanly.
public final class KafkaServer: Sendable {
    public let config: BrokerConfig
    public let topics: TopicStore
    private let router: RequestRouter
    private let flusher: GroupCommitFlusher
    let groups: GroupCoordinator
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let serverChannel = Mutex<(any Channel)?>(nil)
    private let retentionTask = Mutex<RepeatedTask?>(nil)
    private let groupTicker = Mutex<RepeatedTask?>(nil)

    public init(config: BrokerConfig, logger: Logger, threads: Int = System.coreCount) throws {
        let logs = try LogDirectory(path: config.dataDirectory, config: config.log)
        for topicPartition in logs.topicPartitions {
            for line in logs.partition(topicPartition)?.recoveryReport ?? [] {
                logger.warning("recovered partition", metadata: ["partition": "\(topicPartition)", "action": "\(line)"])
            }
        }
        self.config = config
        self.logger = logger
        self.topics = TopicStore(logs: logs)
        self.flusher = GroupCommitFlusher()
        self.groups = GroupCoordinator(offsets: try OffsetStore(dataDirectory: config.dataDirectory, config: config.log), flusher: flusher)
        self.router = RequestRouter(config: config, topics: topics, flusher: flusher, groups: groups, logger: logger)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Binds the listener; returns the bound address (useful with port 0).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let router = self.router
        let logger = self.logger
        let maxFrame = config.maxRequestBytes
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: maxFrame)))
                    try channel.pipeline.syncOperations.addHandler(KafkaConnectionHandler(router: router, logger: logger))
                }
            }
            .bind(host: config.listenHost, port: config.listenPort).get()
        serverChannel.withLock { $0 = channel }
        let topics = self.topics
        let task = group.next().scheduleRepeatedTask(initialDelay: .minutes(1), delay: .minutes(5)) { _ in
            do {
                let deleted = try topics.logs.enforceRetention()
                if deleted > 0 { logger.info("retention deleted segments", metadata: ["segments": "\(deleted)"]) }
            } catch {
                logger.error("retention failed", metadata: ["error": "\(error)"])
            }
        }
        retentionTask.withLock { $0 = task }
        let groups = self.groups
        let ticker = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in groups.tick() }
        groupTicker.withLock { $0 = ticker }
        let address = channel.localAddress!
        if config.advertisedPort == nil, config.listenPort == 0, let port = address.port {
            router.advertisedAddress.withLock { $0.port = port }
        }
        let advertised = router.advertisedAddress.withLock { $0 }
        logger.info("Kafka listener ready", metadata: [
            "listen": "\(address)", "advertised": "\(advertised.host):\(advertised.port)",
            "data_dir": "\(config.dataDirectory)",
        ])
        return address
    }

    /// Stops accepting connections, flushes and closes the commit log.
    public func shutdown() async throws {
        retentionTask.withLock { $0?.cancel() }
        groupTicker.withLock { $0?.cancel() }
        if let channel = serverChannel.withLock({ $0 }) {
            try? await channel.close()
        }
        // Pending acks=all answers complete while the event loops still run.
        flusher.stop()
        try await group.shutdownGracefully()
        try topics.logs.close()
        try groups.offsets.log.close()
        logger.info("broker stopped; commit log closed cleanly")
    }
}
