/// Kafka error codes the broker returns (from Kafka's `Errors.java`).
public enum ErrorCode: Int16, Sendable, Equatable {
    case none = 0
    case offsetOutOfRange = 1
    case corruptMessage = 2
    case unknownTopicOrPartition = 3
    case invalidFetchSize = 4
    case notLeaderOrFollower = 6
    case requestTimedOut = 7
    case messageTooLarge = 10
    case offsetMetadataTooLarge = 12
    case coordinatorNotAvailable = 15
    case notCoordinator = 16
    case invalidTopicException = 17
    case recordListTooLarge = 18
    case invalidRequiredAcks = 21
    case illegalGeneration = 22
    case inconsistentGroupProtocol = 23
    case invalidGroupId = 24
    case unknownMemberId = 25
    case invalidSessionTimeout = 26
    case rebalanceInProgress = 27
    case unsupportedVersion = 35
    case topicAlreadyExists = 36
    case invalidPartitions = 37
    case invalidReplicationFactor = 38
    case invalidRequest = 42
    case duplicateSequenceNumber = 46
    case outOfOrderSequenceNumber = 45
    case invalidProducerEpoch = 47
    case kafkaStorageError = 56
    case unsupportedCompressionType = 76
    case memberIdRequired = 79
    case invalidRecord = 87
    case unknownServerError = -1
}

extension RecordBatchError {
    /// The error a broker answers a produce with when the batch is refused.
    public var errorCode: ErrorCode {
        switch self {
        case .corrupt, .unsupportedMagic: .corruptMessage
        case .unsupportedCompression: .unsupportedCompressionType
        case .invalidRecord, .decompression: .invalidRecord
        }
    }
}
