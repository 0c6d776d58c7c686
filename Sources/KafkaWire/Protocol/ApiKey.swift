/// The Kafka APIs Sluice's broker answers, with the version ranges it advertises.
///
/// The ranges are chosen so that real clients (librdkafka 2.x, kafka-python 2.x/3.x) pick
/// non-flexible versions for everything but ApiVersions v3/v4; see
/// shared/reference/kafka-protocol.md §2. Minimum 0 for the group APIs keeps librdkafka's
/// consumer-group feature enabled.
public enum ApiKey: Int16, Sendable, CaseIterable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case apiVersions = 18
    case createTopics = 19
    case initProducerId = 22

    /// The versions this broker accepts.
    public var supportedVersions: ClosedRange<Int16> {
        switch self {
        // From v0 although only RecordBatch v2 (v3+) is stored: librdkafka up to 2.11 checks
        // "Produce v0 supported" before it compresses with gzip, snappy or lz4, and sends
        // uncompressed otherwise. Older versions' message sets are refused per partition.
        case .produce: 0...7
        case .fetch: 4...11
        case .listOffsets: 1...5
        case .metadata: 0...4
        case .offsetCommit: 2...7
        case .offsetFetch: 1...5
        case .findCoordinator: 0...2
        case .joinGroup: 0...5
        case .heartbeat: 0...3
        case .leaveGroup: 0...1
        case .syncGroup: 0...3
        case .apiVersions: 0...4
        case .createTopics: 0...4
        case .initProducerId: 0...1
        }
    }

    /// Whether requests of this version use header v2 (client id then tagged fields).
    public func usesFlexibleHeader(version: Int16) -> Bool {
        self == .apiVersions && version >= 3
    }

}

/// The request header: api key, version, correlation id, client id (header v1), plus a
/// tagged-field section for flexible requests (header v2).
public struct RequestHeader: Sendable, Equatable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32
    public var clientId: String?

    public init(apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    /// Decodes the header at the start of a request frame; `reader` is left at the body.
    public init(from reader: inout ByteReader) throws {
        apiKey = try reader.readInt16()
        apiVersion = try reader.readInt16()
        correlationId = try reader.readInt32()
        clientId = try reader.readNullableString()
        if let key = ApiKey(rawValue: apiKey), key.usesFlexibleHeader(version: apiVersion) {
            try reader.skipTaggedFields()
        }
    }

    public func encode(into bytes: inout [UInt8]) {
        bytes.appendInt16(apiKey)
        bytes.appendInt16(apiVersion)
        bytes.appendInt32(correlationId)
        bytes.appendString(clientId)
        if let key = ApiKey(rawValue: apiKey), key.usesFlexibleHeader(version: apiVersion) {
            bytes.appendEmptyTaggedFields()
        }
    }
}
