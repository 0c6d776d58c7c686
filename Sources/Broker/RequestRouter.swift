import CommitLog
import KafkaWire
import Logging
import NIOCore
import Synchronization

/// Decodes one request frame, runs the API it names, and encodes the response frame.
/// The per-API logic lives in `RequestRouter+<API>.swift`.
///
/// Thread-safe: shared by every connection; state lives in the stores it holds.
final class RequestRouter: Sendable {
    let config: BrokerConfig
    let topics: TopicStore
    let flusher: GroupCommitFlusher
    let fetchWaiters = FetchWaitList()
    let groups: GroupCoordinator
    let logger: Logger
    /// What clients are told to connect to; set again once the listener knows its port.
    let advertisedAddress: Mutex<(host: String, port: Int)>
    /// Producer ids are unique across restarts: the clock at start, shifted, then counted.
    let nextProducerId: Atomic<Int64>

    init(config: BrokerConfig, topics: TopicStore, flusher: GroupCommitFlusher, groups: GroupCoordinator, logger: Logger) {
        self.config = config
        self.topics = topics
        self.flusher = flusher
        self.groups = groups
        self.advertisedAddress = Mutex(config.advertised)
        self.logger = logger
        self.nextProducerId = Atomic((LogClock.system.now() / 1000) << 16)
    }

    /// Starts the request in `frame` and returns its response frame (size prefix included),
    /// nil when none is due (acks=0 produce). Throws, before anything is done, when the
    /// connection must be closed: the frame is malformed or asks for something this broker
    /// does not speak, or an acks=0 produce failed.
    func handle(_ frame: [UInt8], on eventLoop: any EventLoop) throws -> EventLoopFuture<[UInt8]?> {
        try frame.withUnsafeBytes { buffer -> EventLoopFuture<[UInt8]?> in
            var reader = ByteReader(buffer)
            let header = try RequestHeader(from: &reader)
            let version = header.apiVersion
            guard let api = ApiKey(rawValue: header.apiKey) else {
                throw BrokerError.unsupportedRequest(apiKey: header.apiKey, version: version)
            }
            guard api.supportedVersions.contains(version) else {
                // Real Kafka answers ApiVersions with a v0 body and error 35 so that the client
                // can retry within the range; any other API at an unknown version closes.
                guard api == .apiVersions else { throw BrokerError.unsupportedRequest(apiKey: header.apiKey, version: version) }
                return eventLoop.makeSucceededFuture(respond(header) {
                    ApiVersionsResponse.supported(errorCode: .unsupportedVersion).encode(into: &$0, version: 0)
                })
            }
            func answer(_ encode: (inout [UInt8]) -> Void) -> EventLoopFuture<[UInt8]?> {
                eventLoop.makeSucceededFuture(respond(header, body: encode))
            }
            switch try KafkaRequest.decode(api, version: version, from: &reader) {
            case .apiVersions:
                return answer { ApiVersionsResponse.supported().encode(into: &$0, version: version) }
            case .metadata(let request):
                let response = metadata(request)
                return answer { response.encode(into: &$0, version: version) }
            case .createTopics(let request):
                let response = createTopics(request)
                return answer { response.encode(into: &$0, version: version) }
            case .initProducerId(let request):
                let response = initProducerId(request)
                return answer { response.encode(into: &$0, version: version) }
            case .findCoordinator:
                let (host, port) = advertisedAddress.withLock { $0 }
                let response = FindCoordinatorResponse(errorCode: .none, nodeId: config.nodeId, host: host, port: Int32(port))
                return answer { response.encode(into: &$0, version: version) }
            case .listOffsets(let request):
                let response = listOffsets(request)
                return answer { response.encode(into: &$0, version: version) }
            case .produce(let request):
                return try produce(request, version: version, on: eventLoop).map { response in
                    response.map { response in self.respond(header) { response.encode(into: &$0, version: version) } }
                }
            case .fetch(let request):
                return fetch(request, on: eventLoop).map { response in
                    self.respond(header) { response.encode(into: &$0, version: version) }
                }
            case .joinGroup(let request):
                return groups.join(request, version: version, clientId: header.clientId ?? "", on: eventLoop).map { response in
                    self.respond(header) { response.encode(into: &$0, version: version) }
                }
            case .syncGroup(let request):
                return groups.sync(request, on: eventLoop).map { response in
                    self.respond(header) { response.encode(into: &$0, version: version) }
                }
            case .heartbeat(let request):
                let response = GroupErrorResponse(errorCode: groups.heartbeat(request))
                return answer { response.encode(into: &$0, version: version) }
            case .leaveGroup(let request):
                let response = GroupErrorResponse(errorCode: groups.leave(request))
                return answer { response.encode(into: &$0, version: version) }
            case .offsetCommit(let request):
                return groups.commit(request, on: eventLoop).map { response in
                    self.respond(header) { response.encode(into: &$0, version: version) }
                }
            case .offsetFetch(let request):
                let response = groups.fetchOffsets(request)
                return answer { response.encode(into: &$0, version: version) }
            }
        }
    }

    /// A response frame: size, correlation id (response header v0), body.
    func respond(_ header: RequestHeader, body: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0]
        bytes.appendInt32(header.correlationId)
        body(&bytes)
        bytes.writeBigEndian(Int32(bytes.count - 4), at: 0)
        return bytes
    }
}
