import KafkaWire

/// Idempotent producer de-duplication for one partition, as Kafka does it: per producer
/// id, the epoch, the last sequence written, and the last five batches so that a retried
/// batch is answered with its original offset instead of being written twice.
///
/// Not thread-safe: a value kept under its partition's lock. Not persisted: after a
/// restart a producer's first batch is accepted at any sequence.
struct ProducerSequences {
    static let rememberedBatches = 5

    struct Batch: Equatable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
    }

    struct Producer {
        var epoch: Int16
        var recent: [Batch]
    }

    enum Decision: Equatable {
        /// Write it (and then call `record`).
        case append
        /// Already written at this base offset: answer success without writing.
        case duplicate(baseOffset: Int64)
        case reject(ErrorCode)
    }

    private var producers: [Int64: Producer] = [:]

    func check(_ header: RecordBatchHeader) -> Decision {
        guard header.producerId >= 0 else { return .append }
        guard header.baseSequence >= 0 else { return .reject(.invalidRecord) }
        guard let producer = producers[header.producerId] else { return .append }
        if header.producerEpoch < producer.epoch { return .reject(.invalidProducerEpoch) }
        if header.producerEpoch > producer.epoch { return .append }
        let last = Self.lastSequence(of: header)
        if let seen = producer.recent.first(where: { $0.firstSequence == header.baseSequence && $0.lastSequence == last }) {
            return .duplicate(baseOffset: seen.baseOffset)
        }
        let expected = Self.next(after: producer.recent.last!.lastSequence)
        return header.baseSequence == expected ? .append : .reject(.outOfOrderSequenceNumber)
    }

    mutating func record(_ header: RecordBatchHeader, baseOffset: Int64) {
        guard header.producerId >= 0 else { return }
        let batch = Batch(firstSequence: header.baseSequence, lastSequence: Self.lastSequence(of: header), baseOffset: baseOffset)
        if var producer = producers[header.producerId], producer.epoch == header.producerEpoch {
            producer.recent.append(batch)
            if producer.recent.count > Self.rememberedBatches { producer.recent.removeFirst() }
            producers[header.producerId] = producer
        } else {
            producers[header.producerId] = Producer(epoch: header.producerEpoch, recent: [batch])
        }
    }

    /// Sequences wrap from Int32.max to 0.
    static func lastSequence(of header: RecordBatchHeader) -> Int32 {
        Int32(truncatingIfNeeded: (Int64(header.baseSequence) + Int64(header.lastOffsetDelta)) % (Int64(Int32.max) + 1))
    }

    static func next(after sequence: Int32) -> Int32 { sequence == Int32.max ? 0 : sequence + 1 }
}
