/// A decoded request body of any supported API: the one place that maps an API key to its
/// decoder (the broker's router and the fuzz target both go through it).
public enum KafkaRequest: Sendable {
    case apiVersions(ApiVersionsRequest)
    case metadata(MetadataRequest)
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case createTopics(CreateTopicsRequest)
    case initProducerId(InitProducerIdRequest)
    case findCoordinator(FindCoordinatorRequest)
    case joinGroup(JoinGroupRequest)
    case syncGroup(SyncGroupRequest)
    case heartbeat(HeartbeatRequest)
    case leaveGroup(LeaveGroupRequest)
    case offsetCommit(OffsetCommitRequest)
    case offsetFetch(OffsetFetchRequest)

    /// Decodes the body that follows the header; `version` must be in the API's range.
    public static func decode(_ api: ApiKey, version: Int16, from reader: inout ByteReader) throws -> KafkaRequest {
        switch api {
        case .apiVersions: .apiVersions(try ApiVersionsRequest(from: &reader, version: version))
        case .metadata: .metadata(try MetadataRequest(from: &reader, version: version))
        case .produce: .produce(try ProduceRequest(from: &reader, version: version))
        case .fetch: .fetch(try FetchRequest(from: &reader, version: version))
        case .listOffsets: .listOffsets(try ListOffsetsRequest(from: &reader, version: version))
        case .createTopics: .createTopics(try CreateTopicsRequest(from: &reader, version: version))
        case .initProducerId: .initProducerId(try InitProducerIdRequest(from: &reader, version: version))
        case .findCoordinator: .findCoordinator(try FindCoordinatorRequest(from: &reader, version: version))
        case .joinGroup: .joinGroup(try JoinGroupRequest(from: &reader, version: version))
        case .syncGroup: .syncGroup(try SyncGroupRequest(from: &reader, version: version))
        case .heartbeat: .heartbeat(try HeartbeatRequest(from: &reader, version: version))
        case .leaveGroup: .leaveGroup(try LeaveGroupRequest(from: &reader, version: version))
        case .offsetCommit: .offsetCommit(try OffsetCommitRequest(from: &reader, version: version))
        case .offsetFetch: .offsetFetch(try OffsetFetchRequest(from: &reader, version: version))
        }
    }
}
