import CommitLog
import KafkaWire
import NIOCore

extension RequestRouter {
    /// Validates and appends each partition's batch; with acks=all the response waits for
    /// group commit to cover every appended batch. Nil for acks=0, which throws instead when
    /// something failed (the connection is then closed, as Kafka does).
    func produce(_ request: ProduceRequest, version: Int16, on eventLoop: any EventLoop) throws -> EventLoopFuture<ProduceResponse?> {
        guard [-1, 0, 1].contains(request.acks) else {
            // As Kafka: nothing is written and every partition gets INVALID_REQUIRED_ACKS.
            return eventLoop.makeSucceededFuture(ProduceResponse(topics: request.topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map { .init(index: $0.index, errorCode: .invalidRequiredAcks) })
            }))
        }
        var durable: [EventLoopFuture<Void>] = []
        var failed = false
        let response = ProduceResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { data in
                let result = append(data, topic: topic.name, version: version)
                if result.errorCode != .none { failed = true }
                if request.acks == -1, result.errorCode == .none, let log = topics.partition(TopicPartition(topic: topic.name, partition: data.index))?.log {
                    let promise = eventLoop.makePromise(of: Void.self)
                    flusher.whenDurable(log, upTo: log.logEndOffset, promise)
                    durable.append(promise.futureResult)
                }
                return result
            })
        })
        if request.acks == 0 {
            // No response is sent; like Kafka, close the connection when something failed so
            // that the producer notices.
            if failed { throw ProduceFailedWithoutAcks() }
            return eventLoop.makeSucceededFuture(nil)
        }
        guard !durable.isEmpty else { return eventLoop.makeSucceededFuture(response) }
        return EventLoopFuture.whenAllComplete(durable, on: eventLoop).map { results in
            guard results.contains(where: { if case .failure = $0 { true } else { false } }) else { return response }
            // The fsync failed: nothing appended here may be acknowledged as durable.
            var failedResponse = response
            for topicIndex in failedResponse.topics.indices {
                for partitionIndex in failedResponse.topics[topicIndex].partitions.indices {
                    failedResponse.topics[topicIndex].partitions[partitionIndex] = .init(
                        index: failedResponse.topics[topicIndex].partitions[partitionIndex].index, errorCode: .kafkaStorageError)
                }
            }
            return failedResponse
        }
    }

    private func append(_ data: ProduceRequest.PartitionData, topic: String, version: Int16) -> ProduceResponse.PartitionResponse {
        func refuse(_ code: ErrorCode, _ why: String) -> ProduceResponse.PartitionResponse {
            logger.warning("produce refused", metadata: ["partition": "\(topic)-\(data.index)", "error": "\(code)", "why": "\(why)"])
            return .init(index: data.index, errorCode: code)
        }
        guard TopicPartition.isValidTopicName(topic) else { return refuse(.invalidTopicException, "invalid topic name") }
        let topicPartition = TopicPartition(topic: topic, partition: data.index)
        if topics.partitionCount(topic) == nil, config.autoCreateTopics {
            do { try topics.createTopic(topic, partitions: config.defaultPartitions) } catch {
                return refuse(.kafkaStorageError, "\(error)")
            }
        }
        guard let partition = topics.partition(topicPartition) else { return refuse(.unknownTopicOrPartition, "no such partition") }
        guard let bytes = data.records, !bytes.isEmpty else { return refuse(.invalidRecord, "no records") }
        guard bytes.count <= config.maxBatchBytes else {
            return refuse(.messageTooLarge, "batch of \(bytes.count) bytes exceeds \(config.maxBatchBytes)")
        }
        let batch: RecordBatch
        do { batch = try RecordBatch(validating: bytes) } catch let error as RecordBatchError {
            return refuse(error.errorCode, error.description)
        } catch {
            return refuse(.corruptMessage, "\(error)")
        }
        let header = batch.header
        if header.compression == .zstd, version < 7 { return refuse(.unsupportedCompressionType, "zstd needs Produce v7") }
        if header.isControl { return refuse(.invalidRecord, "control batches come only from brokers") }
        if header.isTransactional { return refuse(.invalidRecord, "transactions are not supported") }

        let outcome: ProduceResponse.PartitionResponse = partition.producers.withLock { producers in
            switch producers.check(header) {
            case .reject(let code):
                return .init(index: data.index, errorCode: code)
            case .duplicate(let baseOffset):
                return .init(index: data.index, errorCode: .none, baseOffset: baseOffset, logStartOffset: partition.log.logStartOffset)
            case .append:
                do {
                    let baseOffset = try partition.log.append(batch)
                    producers.record(header, baseOffset: baseOffset)
                    return .init(index: data.index, errorCode: .none, baseOffset: baseOffset, logStartOffset: partition.log.logStartOffset)
                } catch {
                    logger.error("append failed", metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
                    return .init(index: data.index, errorCode: .kafkaStorageError)
                }
            }
        }
        if outcome.errorCode == .none { fetchWaiters.notify(topicPartition) }
        return outcome
    }
}

/// An acks=0 produce failed: the connection is closed instead of answered.
struct ProduceFailedWithoutAcks: Error {}
