import Broker
import Foundation
import LogStore
import Logging
import Processors
import ServiceLifecycle
import Synchronization

/// The broker as a service: listens until graceful shutdown, then closes every partition.
struct BrokerService: Service {
    let server: KafkaServer
    let logger: Logger

    func run() async throws {
        let address = try await server.start()
        // Tests start on port 0 and read the port from here; scripts wait for it.
        print("kafka-port \(address.port ?? 0)")
        fflush(nil)
        try? await gracefulShutdown()
        logger.info("shutting down the broker")
        try await server.shutdown()
    }
}

/// The log pipelines as a service: process until graceful shutdown, then flush and close
/// the store (the processor's run makes it durable when cancelled).
struct ProcessorService: Service {
    let processor: LogProcessor
    let store: LogStore

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await processor.run()
        }
        try store.close()
    }
}

/// Set once the HTTP server listens: `/readyz` answers 200 from then on.
final class ReadyFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
