import CommitLog
import KafkaWire

extension RequestRouter {
    func metadata(_ request: MetadataRequest) -> MetadataResponse {
        let names = request.topics ?? topics.topics.map(\.name)
        var result: [MetadataResponse.Topic] = []
        for name in names {
            guard TopicPartition.isValidTopicName(name) else {
                result.append(.init(errorCode: .invalidTopicException, name: name, partitions: []))
                continue
            }
            if topics.partitionCount(name) == nil, request.allowAutoTopicCreation, config.autoCreateTopics {
                do {
                    try topics.createTopic(name, partitions: config.defaultPartitions)
                    logger.info("auto-created topic", metadata: ["topic": "\(name)", "partitions": "\(config.defaultPartitions)"])
                } catch {
                    logger.error("topic creation failed", metadata: ["topic": "\(name)", "error": "\(error)"])
                    result.append(.init(errorCode: .kafkaStorageError, name: name, partitions: []))
                    continue
                }
            }
            guard let count = topics.partitionCount(name) else {
                result.append(.init(errorCode: .unknownTopicOrPartition, name: name, partitions: []))
                continue
            }
            result.append(.init(errorCode: .none, name: name, partitions: (0..<count).map {
                .init(partitionIndex: $0, leaderId: config.nodeId, replicas: [config.nodeId], isr: [config.nodeId])
            }))
        }
        let (host, port) = advertisedAddress.withLock { $0 }
        return MetadataResponse(
            brokers: [.init(nodeId: config.nodeId, host: host, port: Int32(port))],
            clusterId: config.clusterId, controllerId: config.nodeId, topics: result)
    }

    func createTopics(_ request: CreateTopicsRequest) -> CreateTopicsResponse {
        CreateTopicsResponse(topics: request.topics.map { topic in
            guard topic.replicationFactor == -1 || topic.replicationFactor == 1 else {
                return .init(name: topic.name, errorCode: .invalidReplicationFactor,
                             errorMessage: "replication factor \(topic.replicationFactor): this broker is a single node")
            }
            let count = topic.numPartitions == -1 ? config.defaultPartitions : topic.numPartitions
            do {
                switch try topics.createTopic(topic.name, partitions: count, validateOnly: request.validateOnly) {
                case .created:
                    if !request.validateOnly { logger.info("created topic", metadata: ["topic": "\(topic.name)", "partitions": "\(count)"]) }
                    return .init(name: topic.name, errorCode: .none)
                case .alreadyExists:
                    return .init(name: topic.name, errorCode: .topicAlreadyExists, errorMessage: "topic '\(topic.name)' already exists")
                case .invalidName:
                    return .init(name: topic.name, errorCode: .invalidTopicException,
                                 errorMessage: "topic names are 1 to 249 characters of [a-zA-Z0-9._-], not '.' or '..'")
                case .invalidPartitions:
                    return .init(name: topic.name, errorCode: .invalidPartitions, errorMessage: "partitions must be 1 to 10000, got \(count)")
                }
            } catch {
                return .init(name: topic.name, errorCode: .kafkaStorageError, errorMessage: "\(error)")
            }
        })
    }

    func initProducerId(_ request: InitProducerIdRequest) -> InitProducerIdResponse {
        // Transactions are not supported; idempotent producers send a null transactional id.
        guard request.transactionalId == nil else {
            return InitProducerIdResponse(errorCode: .invalidRequest, producerId: -1, producerEpoch: -1)
        }
        let id = nextProducerId.wrappingAdd(1, ordering: .relaxed).newValue
        return InitProducerIdResponse(errorCode: .none, producerId: id, producerEpoch: 0)
    }

    func listOffsets(_ request: ListOffsetsRequest) -> ListOffsetsResponse {
        ListOffsetsResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { partition in
                guard let log = topics.partition(TopicPartition(topic: topic.name, partition: partition.partition))?.log else {
                    return .init(partition: partition.partition, errorCode: .unknownTopicOrPartition)
                }
                switch partition.timestamp {
                case ListOffsetsRequest.earliest:
                    return .init(partition: partition.partition, errorCode: .none, offset: log.logStartOffset)
                case ListOffsetsRequest.latest:
                    return .init(partition: partition.partition, errorCode: .none, offset: log.logEndOffset)
                default:
                    do {
                        guard let found = try log.offset(forTimestamp: partition.timestamp) else {
                            return .init(partition: partition.partition, errorCode: .none)
                        }
                        return .init(partition: partition.partition, errorCode: .none, timestamp: found.timestamp, offset: found.offset)
                    } catch {
                        logger.error("offset for timestamp failed", metadata: ["partition": "\(topic.name)-\(partition.partition)", "error": "\(error)"])
                        return .init(partition: partition.partition, errorCode: .kafkaStorageError)
                    }
                }
            })
        })
    }
}
