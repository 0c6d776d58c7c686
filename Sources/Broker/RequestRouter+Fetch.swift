import CommitLog
import KafkaWire
import NIOCore
import Synchronization

extension RequestRouter {
    /// Reads every requested partition; if fewer than min_bytes are ready, parks the fetch
    /// until a produce to one of its partitions or max_wait_ms, whichever comes first.
    func fetch(_ request: FetchRequest, on eventLoop: any EventLoop) -> EventLoopFuture<FetchResponse> {
        let first = readFetch(request)
        let minBytes = Int(request.minBytes)
        if first.recordBytes >= max(1, minBytes) || minBytes <= 0 || request.maxWaitMs <= 0 || first.hasErrors {
            return eventLoop.makeSucceededFuture(first)
        }
        let partitions = request.topics.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.name, partition: $0.partition) } }
        let promise = eventLoop.makePromise(of: FetchResponse.self)
        let parked = ParkedFetch(promise: promise)

        // Re-reads on every wake-up; answers when enough is there or the time is up.
        @Sendable func attempt(timedOut: Bool) {
            guard !parked.isFinished else { return }
            // Register again before reading, so that a produce landing during the read still
            // wakes this fetch.
            register()
            let response = self.readFetch(request)
            if timedOut || response.recordBytes >= minBytes || response.hasErrors {
                parked.token.withLock { token in
                    if let token { self.fetchWaiters.remove(token, from: partitions) }
                    token = nil
                }
                parked.finish(with: response)
            }
        }
        @Sendable func register() {
            let token = fetchWaiters.add(partitions) { eventLoop.execute { attempt(timedOut: false) } }
            let previous = parked.token.withLock { current in
                defer { current = token }
                return current
            }
            if let previous { fetchWaiters.remove(previous, from: partitions) }
        }
        register()
        // A produce may have landed between the first read and registering.
        eventLoop.execute { attempt(timedOut: false) }
        let timeout = eventLoop.scheduleTask(in: .milliseconds(Int64(request.maxWaitMs))) { attempt(timedOut: true) }
        return promise.futureResult.always { _ in timeout.cancel() }
    }

    /// One pass over the requested partitions. The request's max_bytes is a soft budget: the
    /// first batch found is always sent whole, as Kafka does, so that a consumer never stalls
    /// behind a batch larger than its limit.
    func readFetch(_ request: FetchRequest) -> FetchResponse {
        var budget = max(0, min(Int(request.maxBytes), config.maxFetchBytes))
        var sentAny = false
        return FetchResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { wanted in
                guard let log = topics.partition(TopicPartition(topic: topic.name, partition: wanted.partition))?.log else {
                    return .init(partition: wanted.partition, errorCode: .unknownTopicOrPartition, highWatermark: -1, logStartOffset: -1, records: [])
                }
                let partitionLimit = min(Int(wanted.partitionMaxBytes), config.maxFetchBytes)
                let limit = sentAny ? min(budget, partitionLimit) : max(1, min(budget, partitionLimit))
                guard limit > 0 || !sentAny else {
                    return .init(partition: wanted.partition, errorCode: .none, highWatermark: log.logEndOffset, logStartOffset: log.logStartOffset, records: [])
                }
                do {
                    let result = try log.read(from: wanted.fetchOffset, maxBytes: limit)
                    // Past the budget after the first batch: leave this partition for the next fetch.
                    let records = sentAny && result.bytes.count > limit ? [] : result.bytes
                    budget -= records.count
                    sentAny = sentAny || !records.isEmpty
                    return .init(partition: wanted.partition, errorCode: .none, highWatermark: result.logEndOffset,
                                 logStartOffset: result.logStartOffset, records: records)
                } catch LogError.offsetOutOfRange(_, let start, let end) {
                    return .init(partition: wanted.partition, errorCode: .offsetOutOfRange, highWatermark: end, logStartOffset: start, records: [])
                } catch {
                    logger.error("fetch read failed", metadata: ["partition": "\(topic.name)-\(wanted.partition)", "error": "\(error)"])
                    return .init(partition: wanted.partition, errorCode: .kafkaStorageError, highWatermark: -1, logStartOffset: -1, records: [])
                }
            })
        })
    }
}

extension FetchResponse {
    var hasErrors: Bool { topics.contains { $0.partitions.contains { $0.errorCode != .none } } }
}

/// A fetch waiting for data: completes its promise exactly once.
final class ParkedFetch: Sendable {
    private let promise: EventLoopPromise<FetchResponse>
    private let finished = Atomic<Bool>(false)
    /// The wait-list registration currently held, if any.
    let token = Mutex<Int?>(nil)

    init(promise: EventLoopPromise<FetchResponse>) { self.promise = promise }

    var isFinished: Bool { finished.load(ordering: .acquiring) }

    func finish(with response: FetchResponse) {
        guard finished.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        promise.succeed(response)
    }
}
