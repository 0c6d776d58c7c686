import KafkaWire
import Testing
@testable import Broker

/// The classic group protocol, driven without sockets or clocks.
@Suite struct GroupStateMachineTests {
    static func joinRequest(_ member: String, protocols: [String] = ["range", "roundrobin"], session: Int32 = 10_000) -> JoinGroupRequest {
        JoinGroupRequest(groupId: "g", sessionTimeoutMs: session, rebalanceTimeoutMs: 30_000, memberId: member,
                         protocolType: "consumer", protocols: protocols.map { .init(name: $0, metadata: Array("\(member)-\($0)".utf8)) })
    }

    static func joinResponse(_ actions: [GroupStateMachine.Action], token: Int) -> JoinGroupResponse? {
        for case let .join(t, response) in actions where t == token { return response }
        return nil
    }

    static func syncResponse(_ actions: [GroupStateMachine.Action], token: Int) -> SyncGroupResponse? {
        for case let .sync(t, response) in actions where t == token { return response }
        return nil
    }

    static func syncRequest(_ member: String, generation: Int32, assignments: [String: [UInt8]] = [:]) throws -> SyncGroupRequest {
        var bytes: [UInt8] = []
        bytes.appendString("g")
        bytes.appendInt32(generation)
        bytes.appendString(member)
        bytes.appendArray(assignments.sorted { $0.key < $1.key }) { bytes, entry in
            bytes.appendString(entry.key)
            bytes.appendNullableBytes(entry.value)
        }
        return try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            return try SyncGroupRequest(from: &reader, version: 0)
        }
    }

    /// Joins two members (v4+: through MEMBER_ID_REQUIRED) and returns their ids.
    static func twoMemberGroup(_ group: inout GroupStateMachine) -> (String, String) {
        let firstId = joinResponse(group.join(joinRequest(""), version: 5, clientId: "c", token: 1, now: 0), token: 1)!
        #expect(firstId.errorCode == .memberIdRequired)
        let secondId = joinResponse(group.join(joinRequest(""), version: 5, clientId: "c", token: 2, now: 0), token: 2)!
        let solo = group.join(joinRequest(firstId.memberId), version: 5, clientId: "c", token: 3, now: 1)
        #expect(joinResponse(solo, token: 3)?.generationId == 1, "a lone member completes the join at once")
        // The second member's join starts a rebalance; the first must re-join to finish it.
        #expect(group.join(joinRequest(secondId.memberId), version: 5, clientId: "c", token: 4, now: 2).isEmpty)
        #expect(group.state == .preparingRebalance)
        #expect(group.heartbeat(memberId: firstId.memberId, generationId: 1, now: 3) == .rebalanceInProgress)
        let done = group.join(joinRequest(firstId.memberId), version: 5, clientId: "c", token: 5, now: 4)
        let leader = joinResponse(done, token: 5)!
        let follower = joinResponse(done, token: 4)!
        #expect(leader.generationId == 2 && follower.generationId == 2)
        #expect(leader.leader == firstId.memberId && follower.leader == firstId.memberId)
        #expect(leader.members.map(\.memberId) == [firstId.memberId, secondId.memberId])
        #expect(leader.members[1].metadata == Array("\(secondId.memberId)-range".utf8))
        #expect(follower.members.isEmpty)
        #expect(leader.protocolName == "range")
        return (firstId.memberId, secondId.memberId)
    }

    @Test func joinSyncAndStable() throws {
        var group = GroupStateMachine(groupId: "g")
        let (leader, follower) = Self.twoMemberGroup(&group)
        #expect(group.state == .completingRebalance)
        // The follower's sync waits for the leader's assignments.
        #expect(group.sync(try Self.syncRequest(follower, generation: 2), token: 10, now: 5).isEmpty)
        let actions = group.sync(try Self.syncRequest(leader, generation: 2, assignments: [leader: [1, 1], follower: [2, 2]]), token: 11, now: 6)
        #expect(Self.syncResponse(actions, token: 10)?.assignment == [2, 2])
        #expect(Self.syncResponse(actions, token: 11)?.assignment == [1, 1])
        #expect(group.state == .stable)
        #expect(group.heartbeat(memberId: follower, generationId: 2, now: 7) == .none)
        #expect(group.heartbeat(memberId: follower, generationId: 1, now: 7) == .illegalGeneration)
        #expect(group.heartbeat(memberId: "stranger", generationId: 2, now: 7) == .unknownMemberId)
        #expect(group.commitError(memberId: leader, generationId: 2) == .none)
        #expect(group.commitError(memberId: leader, generationId: 1) == .illegalGeneration)
    }

    @Test func memberWithoutAssignmentGetsAValidEmptyOne() throws {
        var group = GroupStateMachine(groupId: "g")
        let (leader, follower) = Self.twoMemberGroup(&group)
        _ = group.sync(try Self.syncRequest(follower, generation: 2), token: 10, now: 5)
        let actions = group.sync(try Self.syncRequest(leader, generation: 2, assignments: [leader: [9]]), token: 11, now: 6)
        #expect(Self.syncResponse(actions, token: 10)?.assignment == GroupStateMachine.emptyAssignment)
    }

    @Test func leaveTriggersRebalanceForTheRest() throws {
        var group = GroupStateMachine(groupId: "g")
        let (leader, follower) = Self.twoMemberGroup(&group)
        _ = group.sync(try Self.syncRequest(leader, generation: 2, assignments: [:]), token: 11, now: 6)
        let (code, _) = group.leave(memberId: follower, now: 7)
        #expect(code == .none)
        #expect(group.state == .preparingRebalance)
        #expect(group.heartbeat(memberId: leader, generationId: 2, now: 8) == .rebalanceInProgress)
        let rejoined = group.join(Self.joinRequest(leader), version: 5, clientId: "c", token: 20, now: 9)
        let response = Self.joinResponse(rejoined, token: 20)!
        #expect(response.generationId == 3 && response.members.map(\.memberId) == [leader])
    }

    @Test func expiredSessionIsRemovedAndAbsentMembersDroppedAtTheRebalanceDeadline() throws {
        var group = GroupStateMachine(groupId: "g")
        let (leader, follower) = Self.twoMemberGroup(&group)
        _ = group.sync(try Self.syncRequest(leader, generation: 2, assignments: [:]), token: 11, now: 6)
        _ = group.sync(try Self.syncRequest(follower, generation: 2), token: 12, now: 6)
        // Only the leader heartbeats; the follower's 10 s session runs out.
        for now in stride(from: Int64(1_000), through: 12_000, by: 1_000) {
            _ = group.heartbeat(memberId: leader, generationId: 2, now: now)
            _ = group.tick(now: now)
        }
        #expect(group.members.map(\.id) == [leader])
        #expect(group.state == .preparingRebalance)
        // The leader never re-joins: at the rebalance deadline the group empties.
        _ = group.tick(now: 12_000 + 30_001)
        #expect(group.state == .empty)
        #expect(group.commitError(memberId: "", generationId: -1) == .none)
        #expect(group.commitError(memberId: "x", generationId: 3) == .illegalGeneration)
    }

    @Test func repeatedOrReplacedSyncIsStillAnswered() throws {
        var group = GroupStateMachine(groupId: "g")
        let (leader, follower) = Self.twoMemberGroup(&group)
        #expect(group.sync(try Self.syncRequest(follower, generation: 2), token: 10, now: 5).isEmpty)
        let again = group.sync(try Self.syncRequest(follower, generation: 2), token: 11, now: 6)
        #expect(Self.syncResponse(again, token: 10)?.errorCode == .rebalanceInProgress)
        // The follower re-joins with new protocols while its sync waits: that sync is answered.
        let rejoin = group.join(Self.joinRequest(follower, protocols: ["roundrobin"]), version: 5, clientId: "c", token: 12, now: 7)
        #expect(Self.syncResponse(rejoin, token: 11)?.errorCode == .rebalanceInProgress)
        _ = leader
    }

    @Test func unchangedFollowerRejoinKeepsTheGeneration() throws {
        var group = GroupStateMachine(groupId: "g")
        let (leader, follower) = Self.twoMemberGroup(&group)
        _ = group.sync(try Self.syncRequest(leader, generation: 2, assignments: [:]), token: 10, now: 5)
        let rejoin = group.join(Self.joinRequest(follower), version: 5, clientId: "c", token: 11, now: 6)
        #expect(Self.joinResponse(rejoin, token: 11)?.generationId == 2)
        #expect(group.state == .stable)
        #expect(group.heartbeat(memberId: leader, generationId: 2, now: 7) == .none)
    }

    @Test func followerWaitingForTheLeadersSyncDoesNotExpire() throws {
        var group = GroupStateMachine(groupId: "g")
        let (leader, follower) = Self.twoMemberGroup(&group)
        _ = group.sync(try Self.syncRequest(follower, generation: 2), token: 10, now: 5)
        var answered: [GroupStateMachine.Action] = []
        for now in stride(from: Int64(1_000), through: 9_000, by: 1_000) {
            _ = group.heartbeat(memberId: leader, generationId: 2, now: now)
            answered += group.tick(now: now)
        }
        #expect(group.members.count == 2 && answered.isEmpty)
        answered = group.sync(try Self.syncRequest(leader, generation: 2, assignments: [follower: [7]]), token: 11, now: 9_500)
        #expect(Self.syncResponse(answered, token: 10)?.assignment == [7])
    }

    @Test func commitsFromOutsideAnActiveGroupAreRefused() throws {
        var group = GroupStateMachine(groupId: "g")
        _ = Self.twoMemberGroup(&group)
        #expect(group.commitError(memberId: "", generationId: -1) == .unknownMemberId)
    }

    @Test func refusals() {
        var group = GroupStateMachine(groupId: "g")
        #expect(Self.joinResponse(group.join(Self.joinRequest("", session: 1_000), version: 5, clientId: "c", token: 1, now: 0), token: 1)?.errorCode == .invalidSessionTimeout)
        #expect(Self.joinResponse(group.join(Self.joinRequest("unknown"), version: 5, clientId: "c", token: 2, now: 0), token: 2)?.errorCode == .unknownMemberId)
        // v0–3 clients get a member id directly.
        let direct = Self.joinResponse(group.join(Self.joinRequest(""), version: 3, clientId: "c", token: 3, now: 0), token: 3)!
        #expect(direct.errorCode == .none && !direct.memberId.isEmpty)
        let inconsistent = group.join(Self.joinRequest("", protocols: ["sticky-only"]), version: 3, clientId: "c", token: 4, now: 1)
        #expect(Self.joinResponse(inconsistent, token: 4)?.errorCode == .inconsistentGroupProtocol)
    }

    @Test func protocolChosenByVotesAmongCommonOnes() throws {
        var group = GroupStateMachine(groupId: "g")
        let a = Self.joinResponse(group.join(Self.joinRequest("", protocols: ["roundrobin", "range"]), version: 3, clientId: "c", token: 1, now: 0), token: 1)!
        _ = group.join(Self.joinRequest("", protocols: ["cooperative-sticky", "roundrobin", "range"]), version: 3, clientId: "c", token: 2, now: 1)
        let done = group.join(Self.joinRequest(a.memberId, protocols: ["roundrobin", "range"]), version: 3, clientId: "c", token: 3, now: 2)
        #expect(Self.joinResponse(done, token: 3)?.protocolName == "roundrobin")
    }
}

@Suite struct ProducerSequencesTests {
    static func header(producer: Int64, epoch: Int16 = 0, sequence: Int32, count: Int32 = 3) throws -> RecordBatchHeader {
        try RecordBatchBuilder(producerId: producer, producerEpoch: epoch, baseSequence: sequence)
            .build((0..<count).map { Record(timestamp: 0, value: [UInt8($0)]) }).header
    }

    @Test func duplicatesOutOfOrderAndEpochs() throws {
        var sequences = ProducerSequences()
        let first = try Self.header(producer: 7, sequence: 0)
        #expect(sequences.check(first) == .append)
        sequences.record(first, baseOffset: 100)
        #expect(sequences.check(first) == .duplicate(baseOffset: 100))
        #expect(sequences.check(try Self.header(producer: 7, sequence: 5)) == .reject(.outOfOrderSequenceNumber))
        let second = try Self.header(producer: 7, sequence: 3)
        #expect(sequences.check(second) == .append)
        sequences.record(second, baseOffset: 103)
        #expect(sequences.check(first) == .duplicate(baseOffset: 100), "the last five batches are remembered")
        #expect(sequences.check(try Self.header(producer: 8, sequence: 42)) == .append, "an unknown producer starts anywhere")
        #expect(sequences.check(try Self.header(producer: 7, epoch: 1, sequence: 0)) == .append, "a new epoch restarts")
        sequences.record(try Self.header(producer: 7, epoch: 1, sequence: 0), baseOffset: 200)
        #expect(sequences.check(try Self.header(producer: 7, epoch: 0, sequence: 6)) == .reject(.invalidProducerEpoch))
        #expect(sequences.check(try Self.header(producer: -1, sequence: -1)) == .append)
    }

    @Test func sequenceWrapsAtInt32Max() throws {
        var sequences = ProducerSequences()
        let last = try Self.header(producer: 1, sequence: Int32.max - 1, count: 2)
        sequences.record(last, baseOffset: 0)
        #expect(sequences.check(try Self.header(producer: 1, sequence: 0)) == .append)
    }
}
