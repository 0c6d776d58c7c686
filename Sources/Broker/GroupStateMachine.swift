import KafkaWire

/// The classic consumer-group protocol for one group, as Kafka's coordinator runs it:
/// Empty → PreparingRebalance (wait until every member re-joins or the rebalance timeout
/// passes) → CompletingRebalance (wait for the leader's assignments) → Stable.
///
/// Pure logic: no I/O, no clock of its own (`now` in milliseconds is passed in). Requests
/// that must wait (JoinGroup during a rebalance, SyncGroup before the leader's) are parked
/// under a caller-chosen token; methods return the responses that became due as actions.
/// Not thread-safe: the coordinator keeps it under a lock.
struct GroupStateMachine {
    enum State: Equatable {
        case empty, preparingRebalance, completingRebalance, stable
    }

    enum Action: Equatable {
        case join(token: Int, JoinGroupResponse)
        case sync(token: Int, SyncGroupResponse)
    }

    struct Member {
        var id: String
        var sessionTimeoutMs: Int64
        var rebalanceTimeoutMs: Int64
        var protocols: [JoinGroupRequest.ProtocolChoice]
        var sessionDeadline: Int64
        var parkedJoin: Int?
        var parkedSync: Int?
    }

    /// Session timeouts outside Kafka's default bounds are refused.
    static let sessionTimeoutRange: ClosedRange<Int32> = 6_000...1_800_000
    /// A valid assignment with no partitions (version 0, no topics, null user data):
    /// clients reject zero bytes.
    static let emptyAssignment: [UInt8] = [0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]

    let groupId: String
    private(set) var state: State = .empty
    private(set) var generation: Int32 = 0
    private(set) var protocolType: String?
    private(set) var protocolName: String?
    private(set) var leader: String?
    /// Members in join order, so that choices (leader, protocol votes) are deterministic.
    private(set) var members: [Member] = []
    private var assignments: [String: [UInt8]] = [:]
    private var pendingMemberIds: Set<String> = []
    private var rebalanceDeadline: Int64 = 0
    private var memberCounter = 0

    init(groupId: String) { self.groupId = groupId }

    private func index(of memberId: String) -> Int? { members.firstIndex { $0.id == memberId } }

    // MARK: JoinGroup

    mutating func join(_ request: JoinGroupRequest, version: Int16, clientId: String, token: Int, now: Int64) -> [Action] {
        func fail(_ code: ErrorCode, memberId: String = request.memberId) -> [Action] {
            [.join(token: token, JoinGroupResponse(errorCode: code, memberId: memberId))]
        }
        guard Self.sessionTimeoutRange.contains(request.sessionTimeoutMs) else { return fail(.invalidSessionTimeout) }
        guard !request.protocolType.isEmpty, !request.protocols.isEmpty else { return fail(.inconsistentGroupProtocol) }
        let others = members.filter { $0.id != request.memberId }
        if !others.isEmpty {
            var shared = Set(others[0].protocols.map(\.name))
            for other in others.dropFirst() { shared.formIntersection(other.protocols.map(\.name)) }
            guard request.protocolType == protocolType, !shared.isDisjoint(with: request.protocols.map(\.name)) else {
                return fail(.inconsistentGroupProtocol)
            }
        }
        var memberId = request.memberId
        if memberId.isEmpty {
            memberCounter += 1
            memberId = "\(clientId.isEmpty ? "member" : clientId)-\(groupId.hashValue & 0xFFFF)-\(memberCounter)-\(now)"
            if version >= 4 {
                // The client joins again with this id (KIP-394).
                pendingMemberIds.insert(memberId)
                return fail(.memberIdRequired, memberId: memberId)
            }
        } else if index(of: memberId) == nil, !pendingMemberIds.contains(memberId) {
            return fail(.unknownMemberId)
        }
        pendingMemberIds.remove(memberId)

        var actions: [Action] = []
        if let existing = index(of: memberId), state == .stable || state == .completingRebalance,
           memberId != leader, members[existing].protocols == request.protocols {
            // Kafka answers an unchanged follower with the current generation, no rebalance.
            members[existing].sessionDeadline = now + Int64(request.sessionTimeoutMs)
            return [.join(token: token, JoinGroupResponse(
                errorCode: .none, generationId: generation, protocolName: protocolName ?? "", leader: leader ?? "", memberId: memberId))]
        }
        let member = Member(
            id: memberId, sessionTimeoutMs: Int64(request.sessionTimeoutMs),
            rebalanceTimeoutMs: Int64(max(request.rebalanceTimeoutMs, request.sessionTimeoutMs)),
            protocols: request.protocols, sessionDeadline: now + Int64(request.sessionTimeoutMs), parkedJoin: token, parkedSync: nil)
        if let existing = index(of: memberId) {
            if let old = members[existing].parkedJoin {
                actions.append(.join(token: old, JoinGroupResponse(errorCode: .rebalanceInProgress, memberId: memberId)))
            }
            if let old = members[existing].parkedSync {
                actions.append(.sync(token: old, SyncGroupResponse(errorCode: .rebalanceInProgress)))
            }
            members[existing] = member
        } else {
            members.append(member)
        }
        protocolType = request.protocolType
        if state != .preparingRebalance { actions += startRebalance(now: now) }
        return actions + completeJoinIfReady(now: now)
    }

    private mutating func startRebalance(now: Int64) -> [Action] {
        state = .preparingRebalance
        rebalanceDeadline = now + (members.map(\.rebalanceTimeoutMs).max() ?? 0)
        assignments = [:]
        var actions: [Action] = []
        for index in members.indices {
            if let token = members[index].parkedSync {
                actions.append(.sync(token: token, SyncGroupResponse(errorCode: .rebalanceInProgress)))
                members[index].parkedSync = nil
            }
        }
        return actions
    }

    /// Finishes the join phase once every member has re-joined, or at the deadline (members
    /// that did not re-join are dropped).
    private mutating func completeJoinIfReady(now: Int64) -> [Action] {
        guard state == .preparingRebalance else { return [] }
        let everyoneJoined = members.allSatisfy { $0.parkedJoin != nil }
        guard everyoneJoined || now >= rebalanceDeadline else { return [] }
        members.removeAll { $0.parkedJoin == nil }
        generation += 1
        guard !members.isEmpty else {
            state = .empty
            leader = nil
            protocolName = nil
            return []
        }
        protocolName = chooseProtocol()
        if leader == nil || index(of: leader!) == nil { leader = members[0].id }
        state = .completingRebalance
        var actions: [Action] = []
        let everyone = members.map { member in
            JoinGroupResponse.Member(memberId: member.id, metadata: member.protocols.first { $0.name == protocolName }?.metadata ?? [])
        }
        for index in members.indices {
            let member = members[index]
            actions.append(.join(token: member.parkedJoin!, JoinGroupResponse(
                errorCode: .none, generationId: generation, protocolName: protocolName ?? "", leader: leader!,
                memberId: member.id, members: member.id == leader ? everyone : [])))
            members[index].parkedJoin = nil
            members[index].sessionDeadline = now + member.sessionTimeoutMs
        }
        return actions
    }

    /// Among the protocols every member supports, each member votes for the first of its
    /// own list; the most votes win (ties: the earliest member's preference).
    private func chooseProtocol() -> String? {
        var candidates = Set(members[0].protocols.map(\.name))
        for member in members.dropFirst() { candidates.formIntersection(member.protocols.map(\.name)) }
        var votes: [String: Int] = [:]
        var order: [String] = []
        for member in members {
            guard let vote = member.protocols.first(where: { candidates.contains($0.name) })?.name else { continue }
            if votes[vote] == nil { order.append(vote) }
            votes[vote, default: 0] += 1
        }
        return order.max { votes[$0]! < votes[$1]! || (votes[$0]! == votes[$1]! && order.firstIndex(of: $0)! > order.firstIndex(of: $1)!) }
    }

    // MARK: SyncGroup

    mutating func sync(_ request: SyncGroupRequest, token: Int, now: Int64) -> [Action] {
        func answer(_ code: ErrorCode, _ assignment: [UInt8] = []) -> [Action] {
            [.sync(token: token, SyncGroupResponse(errorCode: code, assignment: assignment))]
        }
        guard let index = index(of: request.memberId) else { return answer(.unknownMemberId) }
        guard request.generationId == generation else { return answer(.illegalGeneration) }
        members[index].sessionDeadline = now + members[index].sessionTimeoutMs
        switch state {
        case .empty: return answer(.unknownMemberId)
        case .preparingRebalance: return answer(.rebalanceInProgress)
        case .stable: return answer(.none, assignments[request.memberId] ?? Self.emptyAssignment)
        case .completingRebalance:
            var actions: [Action] = []
            if let old = members[index].parkedSync {
                // A repeated SyncGroup replaces the earlier one, which must still be answered.
                actions.append(.sync(token: old, SyncGroupResponse(errorCode: .rebalanceInProgress)))
            }
            members[index].parkedSync = token
            guard request.memberId == leader else { return actions }
            for assignment in request.assignments where !assignment.assignment.isEmpty {
                assignments[assignment.memberId] = assignment.assignment
            }
            state = .stable
            for member in members.indices {
                guard let parked = members[member].parkedSync else { continue }
                actions.append(.sync(token: parked, SyncGroupResponse(errorCode: .none, assignment: assignments[members[member].id] ?? Self.emptyAssignment)))
                members[member].parkedSync = nil
            }
            return actions
        }
    }

    // MARK: Heartbeat, LeaveGroup, expiry

    mutating func heartbeat(memberId: String, generationId: Int32, now: Int64) -> ErrorCode {
        guard let index = index(of: memberId) else { return .unknownMemberId }
        members[index].sessionDeadline = now + members[index].sessionTimeoutMs
        if state == .preparingRebalance { return .rebalanceInProgress }
        return generationId == generation ? .none : .illegalGeneration
    }

    mutating func leave(memberId: String, now: Int64) -> (ErrorCode, [Action]) {
        guard let index = index(of: memberId) else { return (.unknownMemberId, []) }
        let actions = remove(at: [index], now: now)
        return (.none, actions)
    }

    /// Drops members whose session ran out (not while they wait in a join or sync) and finishes a
    /// rebalance whose deadline passed.
    mutating func tick(now: Int64) -> [Action] {
        // Members waiting in JoinGroup or SyncGroup are alive (as in Kafka); a leader that
        // never syncs expires, which answers the waiting followers through a rebalance.
        let expired = members.indices.filter {
            members[$0].parkedJoin == nil && members[$0].parkedSync == nil && now > members[$0].sessionDeadline
        }
        let actions = expired.isEmpty ? [] : remove(at: expired, now: now)
        return actions + completeJoinIfReady(now: now)
    }

    private mutating func remove(at indices: [Int], now: Int64) -> [Action] {
        var actions: [Action] = []
        for index in indices {
            if let token = members[index].parkedJoin { actions.append(.join(token: token, JoinGroupResponse(errorCode: .unknownMemberId))) }
            if let token = members[index].parkedSync { actions.append(.sync(token: token, SyncGroupResponse(errorCode: .unknownMemberId))) }
        }
        let removed = Set(indices.map { members[$0].id })
        members.removeAll { removed.contains($0.id) }
        if members.isEmpty {
            state = .empty
            leader = nil
            assignments = [:]
            generation += 1
            return actions
        }
        if state != .preparingRebalance { actions += startRebalance(now: now) }
        return actions + completeJoinIfReady(now: now)
    }

    // MARK: OffsetCommit

    /// Whether a commit from this member at this generation may be stored.
    func commitError(memberId: String, generationId: Int32) -> ErrorCode {
        if members.isEmpty { return generationId < 0 ? .none : .illegalGeneration }
        // A commit from outside the group (generation −1) is taken only while it is empty.
        guard index(of: memberId) != nil else { return .unknownMemberId }
        if state == .completingRebalance { return .rebalanceInProgress }
        return generationId == generation ? .none : .illegalGeneration
    }

    var isEmpty: Bool { members.isEmpty && pendingMemberIds.isEmpty }
}
