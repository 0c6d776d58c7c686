import CommitLog
import KafkaWire
import NIOCore
import Synchronization

/// Runs every consumer group's `GroupStateMachine`, parks the requests they say must wait,
/// and stores committed offsets. A broker-wide timer calls `tick` to expire sessions and
/// finish rebalances whose time is up.
///
/// Thread-safe: group state is behind one lock; promises are completed outside it.
final class GroupCoordinator: Sendable {
    private struct State {
        var groups: [String: GroupStateMachine] = [:]
        var joins: [Int: EventLoopPromise<JoinGroupResponse>] = [:]
        var syncs: [Int: EventLoopPromise<SyncGroupResponse>] = [:]
        var nextToken = 0

        /// A token naming a parked request.
        mutating func newToken() -> Int {
            defer { nextToken += 1 }
            return nextToken
        }

        /// Keeps a group while it has members (or members being admitted); an empty one is
        /// forgotten, so refused joins and departed groups do not accumulate.
        mutating func store(_ group: GroupStateMachine) {
            groups[group.groupId] = group.isEmpty ? nil : group
        }
    }

    private let state = Mutex(State())
    let offsets: OffsetStore
    private let flusher: GroupCommitFlusher
    private let clock: LogClock

    /// Kafka's offset.metadata.max.bytes.
    static let maxMetadataBytes = 4096

    init(offsets: OffsetStore, flusher: GroupCommitFlusher, clock: LogClock = .system) {
        self.offsets = offsets
        self.flusher = flusher
        self.clock = clock
    }

    /// Reads the groups under the lock.
    func withGroups<T>(_ body: ([String: GroupStateMachine]) -> T) -> T { state.withLock { body($0.groups) } }

    func join(_ request: JoinGroupRequest, version: Int16, clientId: String, on eventLoop: any EventLoop) -> EventLoopFuture<JoinGroupResponse> {
        guard !request.groupId.isEmpty else {
            return eventLoop.makeSucceededFuture(JoinGroupResponse(errorCode: .invalidGroupId, memberId: request.memberId))
        }
        let promise = eventLoop.makePromise(of: JoinGroupResponse.self)
        let now = clock.now()
        run { state in
            let token = state.newToken()
            state.joins[token] = promise
            var group = state.groups[request.groupId] ?? GroupStateMachine(groupId: request.groupId)
            let actions = group.join(request, version: version, clientId: clientId, token: token, now: now)
            state.store(group)
            return actions
        }
        return promise.futureResult
    }

    func sync(_ request: SyncGroupRequest, on eventLoop: any EventLoop) -> EventLoopFuture<SyncGroupResponse> {
        let promise = eventLoop.makePromise(of: SyncGroupResponse.self)
        let now = clock.now()
        run { state in
            let token = state.newToken()
            state.syncs[token] = promise
            guard var group = state.groups[request.groupId] else {
                return [.sync(token: token, SyncGroupResponse(errorCode: .unknownMemberId))]
            }
            let actions = group.sync(request, token: token, now: now)
            state.store(group)
            return actions
        }
        return promise.futureResult
    }

    func heartbeat(_ request: HeartbeatRequest) -> ErrorCode {
        let now = clock.now()
        return state.withLock { state in
            guard var group = state.groups[request.groupId] else { return .unknownMemberId }
            let code = group.heartbeat(memberId: request.memberId, generationId: request.generationId, now: now)
            state.store(group)
            return code
        }
    }

    func leave(_ request: LeaveGroupRequest) -> ErrorCode {
        let now = clock.now()
        var code = ErrorCode.unknownMemberId
        run { state in
            guard var group = state.groups[request.groupId] else { return [] }
            let (result, actions) = group.leave(memberId: request.memberId, now: now)
            code = result
            state.store(group)
            return actions
        }
        return code
    }

    /// Expires sessions and completes rebalances that timed out.
    func tick() {
        let now = clock.now()
        run { state in
            var actions: [GroupStateMachine.Action] = []
            for var group in state.groups.values {
                actions += group.tick(now: now)
                state.store(group)
            }
            return actions
        }
    }

    /// Applies `body` under the lock, then completes the parked requests it made due.
    private func run(_ body: (inout State) -> [GroupStateMachine.Action]) {
        let due = state.withLock { state -> [(EventLoopPromise<JoinGroupResponse>?, JoinGroupResponse?, EventLoopPromise<SyncGroupResponse>?, SyncGroupResponse?)] in
            body(&state).map { action in
                switch action {
                case .join(let token, let response): (state.joins.removeValue(forKey: token), response, nil, nil)
                case .sync(let token, let response): (nil, nil, state.syncs.removeValue(forKey: token), response)
                }
            }
        }
        for (joinPromise, joinResponse, syncPromise, syncResponse) in due {
            if let joinPromise, let joinResponse { joinPromise.succeed(joinResponse) }
            if let syncPromise, let syncResponse { syncPromise.succeed(syncResponse) }
        }
    }

    // MARK: Offsets

    func commit(_ request: OffsetCommitRequest, on eventLoop: any EventLoop) -> EventLoopFuture<OffsetCommitResponse> {
        let allowed = state.withLock { state in
            (state.groups[request.groupId] ?? GroupStateMachine(groupId: request.groupId))
                .commitError(memberId: request.memberId, generationId: request.generationId)
        }
        func respond(_ code: ErrorCode) -> OffsetCommitResponse {
            OffsetCommitResponse(topics: request.topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map { .init(partition: $0.partition, errorCode: code) })
            })
        }
        guard allowed == .none else { return eventLoop.makeSucceededFuture(respond(allowed)) }
        guard !request.groupId.isEmpty else { return eventLoop.makeSucceededFuture(respond(.invalidGroupId)) }
        guard request.topics.allSatisfy({ $0.partitions.allSatisfy { ($0.metadata?.utf8.count ?? 0) <= Self.maxMetadataBytes } }) else {
            return eventLoop.makeSucceededFuture(respond(.offsetMetadataTooLarge))
        }
        let commits = request.topics.flatMap { topic in
            topic.partitions.map {
                (OffsetStore.Key(group: request.groupId, topic: topic.name, partition: $0.partition),
                 OffsetStore.Committed(offset: $0.offset, metadata: $0.metadata))
            }
        }
        do {
            try offsets.store(commits, now: clock.now())
        } catch {
            return eventLoop.makeSucceededFuture(respond(.kafkaStorageError))
        }
        let durable = eventLoop.makePromise(of: Void.self)
        flusher.whenDurable(offsets.log, upTo: offsets.log.logEndOffset, durable)
        let stored = respond(.none)
        let failed = respond(.kafkaStorageError)
        return durable.futureResult.map { stored }.recover { _ in failed }
    }

    func fetchOffsets(_ request: OffsetFetchRequest) -> OffsetFetchResponse {
        guard let topics = request.topics else {
            return OffsetFetchResponse(topics: offsets.committed(group: request.groupId).sorted { $0.key < $1.key }.map { topic, partitions in
                .init(name: topic, partitions: partitions.map { .init(partition: $0.0, offset: $0.1.offset, metadata: $0.1.metadata) })
            })
        }
        return OffsetFetchResponse(topics: topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { partition in
                let committed = offsets.committed(.init(group: request.groupId, topic: topic.name, partition: partition))
                return .init(partition: partition, offset: committed?.offset ?? -1, metadata: committed?.metadata ?? "")
            })
        })
    }
}
