import Testing
@testable import KafkaWire

/// Request decoders and response encoders against bytes written out by hand from Kafka's
/// message definitions (field order, widths, and which versions carry which fields).
@Suite struct ProtocolGoldenTests {
    static func decode<T>(_ bytes: [UInt8], _ body: (inout ByteReader) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            let value = try body(&reader)
            #expect(reader.remaining == 0, "every byte consumed")
            return value
        }
    }

    @Test func requestHeaderV1AndV2() throws {
        let v1: [UInt8] = [0, 3, 0, 4, 0, 0, 0, 9, 0, 2] + Array("id".utf8)
        let header = try Self.decode(v1) { try RequestHeader(from: &$0) }
        #expect(header == RequestHeader(apiKey: 3, apiVersion: 4, correlationId: 9, clientId: "id"))
        // ApiVersions v3: header v2 adds a tag section; client id stays int16-length.
        let v2: [UInt8] = [0, 18, 0, 3, 0, 0, 0, 1, 0xFF, 0xFF, 0]
        #expect(try Self.decode(v2) { try RequestHeader(from: &$0) }.clientId == nil)
    }

    @Test func fetchRequestV11() throws {
        var bytes: [UInt8] = []
        bytes += [0xFF, 0xFF, 0xFF, 0xFF]  // replica_id −1
        bytes += [0, 0, 0x01, 0xF4]  // max_wait_ms 500
        bytes += [0, 0, 0, 1]  // min_bytes
        bytes += [0x03, 0x20, 0, 0]  // max_bytes 52428800
        bytes += [1]  // isolation_level
        bytes += [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]  // session id 0, epoch −1
        bytes += [0, 0, 0, 1, 0, 1, 0x74]  // one topic "t"
        bytes += [0, 0, 0, 1]  // one partition
        bytes += [0, 0, 0, 2]  // partition 2
        bytes += [0xFF, 0xFF, 0xFF, 0xFF]  // current_leader_epoch
        bytes += [0, 0, 0, 0, 0, 0, 0, 42]  // fetch_offset 42
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]  // log_start_offset
        bytes += [0, 0x10, 0, 0]  // partition_max_bytes 1 MiB
        bytes += [0, 0, 0, 0]  // forgotten topics
        bytes += [0, 0]  // rack_id ""
        let request = try Self.decode(bytes) { try FetchRequest(from: &$0, version: 11) }
        #expect(request.maxWaitMs == 500 && request.minBytes == 1 && request.maxBytes == 52_428_800)
        #expect(request.topics == [.init(name: "t", partitions: [.init(partition: 2, fetchOffset: 42, partitionMaxBytes: 1 << 20)])])
    }

    @Test func fetchResponseV11() {
        let response = FetchResponse(topics: [.init(name: "t", partitions: [
            .init(partition: 0, errorCode: .none, highWatermark: 5, logStartOffset: 1, records: [0xAB]),
        ])])
        var bytes: [UInt8] = []
        response.encode(into: &bytes, version: 11)
        var expected: [UInt8] = [0, 0, 0, 0]  // throttle
        expected += [0, 0]  // error_code (v7+)
        expected += [0, 0, 0, 0]  // session_id 0
        expected += [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1]
        expected += [0, 0, 0, 0, 0, 0]  // partition 0, error 0
        expected += [0, 0, 0, 0, 0, 0, 0, 5]  // high watermark
        expected += [0, 0, 0, 0, 0, 0, 0, 5]  // last stable offset = HWM
        expected += [0, 0, 0, 0, 0, 0, 0, 1]  // log start (v5+)
        expected += [0, 0, 0, 0]  // aborted transactions: empty, not null
        expected += [0xFF, 0xFF, 0xFF, 0xFF]  // preferred read replica −1 (v11)
        expected += [0, 0, 0, 1, 0xAB]  // records
        #expect(bytes == expected)

        var v4: [UInt8] = []
        FetchResponse(topics: [.init(name: "t", partitions: [
            .init(partition: 0, errorCode: .offsetOutOfRange, highWatermark: 5, logStartOffset: 1, records: []),
        ])]).encode(into: &v4, version: 4)
        #expect(v4.count == 4 + 4 + 2 + 1 + 4 + 4 + 2 + 8 + 8 + 4 + 4)
        #expect(v4.suffix(4) == [0, 0, 0, 0], "empty records are zero-length, never null")
    }

    @Test func produceResponsePutsThrottleLast() {
        var bytes: [UInt8] = []
        ProduceResponse(topics: [.init(name: "t", partitions: [.init(index: 1, errorCode: .corruptMessage)])]).encode(into: &bytes, version: 7)
        var expected: [UInt8] = [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1]
        expected += [0, 0, 0, 1, 0, 2]  // partition 1, CORRUPT_MESSAGE
        expected += [UInt8](repeating: 0xFF, count: 8)  // base offset −1
        expected += [UInt8](repeating: 0xFF, count: 8)  // log append time −1
        expected += [UInt8](repeating: 0xFF, count: 8)  // log start offset −1 (v5+)
        expected += [0, 0, 0, 0]  // throttle_time_ms after the responses
        #expect(bytes == expected)
    }

    @Test func produceV0ToV2LayoutsAreReadAndAnswered() throws {
        // v2 request: no transactional id; acks 1, timeout 1000, topic "t" partition 0, 3 bytes.
        let request: [UInt8] = [0, 1, 0, 0, 0x03, 0xE8, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]
        let decoded = try Self.decode(request) { try ProduceRequest(from: &$0, version: 2) }
        #expect(decoded.transactionalId == nil && decoded.acks == 1 && decoded.timeoutMs == 1000)
        #expect(decoded.topics.first?.partitions.first?.records == [1, 2, 3])

        let response = ProduceResponse(topics: [.init(name: "t", partitions: [.init(index: 0, errorCode: .corruptMessage)])])
        let partition: [UInt8] = [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2] + [UInt8](repeating: 0xFF, count: 8)
        var v0: [UInt8] = []
        response.encode(into: &v0, version: 0)
        #expect(v0 == partition)  // no log append time, no throttle time
        var v1: [UInt8] = []
        response.encode(into: &v1, version: 1)
        #expect(v1 == partition + [0, 0, 0, 0])
        var v2: [UInt8] = []
        response.encode(into: &v2, version: 2)
        #expect(v2 == partition + [UInt8](repeating: 0xFF, count: 8) + [0, 0, 0, 0])
    }

    @Test func metadataResponseV0AndV4() {
        let response = MetadataResponse(
            brokers: [.init(nodeId: 0, host: "h", port: 9092)], clusterId: "c", controllerId: 0,
            topics: [.init(errorCode: .none, name: "t", partitions: [.init(partitionIndex: 0, leaderId: 0, replicas: [0], isr: [0])])])
        var v0: [UInt8] = []
        response.encode(into: &v0, version: 0)
        let partition: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
        #expect(v0 == [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0x68, 0, 0, 0x23, 0x84] + [0, 0, 0, 1, 0, 0, 0, 1, 0x74, 0, 0, 0, 1] + partition)
        var v4: [UInt8] = []
        response.encode(into: &v4, version: 4)
        var expected: [UInt8] = [0, 0, 0, 0]  // throttle (v3+)
        expected += [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0x68, 0, 0, 0x23, 0x84, 0xFF, 0xFF]  // broker + null rack
        expected += [0, 1, 0x63]  // cluster id (v2+), before the controller
        expected += [0, 0, 0, 0]  // controller id (v1+)
        expected += [0, 0, 0, 1, 0, 0, 0, 1, 0x74, 0]  // topic, is_internal false
        expected += [0, 0, 0, 1] + partition
        #expect(v4 == expected)
    }

    @Test func offsetFetchV1PutsGroupErrorsOnPartitionsAndV2AfterTopics() {
        let response = OffsetFetchResponse(
            topics: [.init(name: "t", partitions: [.init(partition: 0, offset: -1, metadata: "")])], errorCode: .notCoordinator)
        var v1: [UInt8] = []
        response.encode(into: &v1, version: 1)
        #expect(v1.suffix(2) == [0, 16])
        var v2: [UInt8] = []
        response.encode(into: &v2, version: 2)
        #expect(Array(v2.suffix(4)) == [0, 0, 0, 16], "partition error 0, then the group error")
    }

    @Test func joinGroupRequestV5AndResponse() throws {
        var bytes: [UInt8] = []
        bytes.appendString("grp")
        bytes.appendInt32(45_000)
        bytes.appendInt32(300_000)
        bytes.appendString("")
        bytes.appendString(nil)  // group_instance_id (v5)
        bytes.appendString("consumer")
        bytes.appendArray(["range"]) { bytes, name in
            bytes.appendString(name)
            bytes.appendNullableBytes([0, 1, 2])
        }
        let request = try Self.decode(bytes) { try JoinGroupRequest(from: &$0, version: 5) }
        #expect(request.rebalanceTimeoutMs == 300_000 && request.protocols == [.init(name: "range", metadata: [0, 1, 2])])

        var response: [UInt8] = []
        JoinGroupResponse(errorCode: .none, generationId: 3, protocolName: "range", leader: "a", memberId: "a",
                          members: [.init(memberId: "a", metadata: [9])]).encode(into: &response, version: 5)
        var expected: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 5] + Array("range".utf8)
        expected += [0, 1, 0x61, 0, 1, 0x61, 0, 0, 0, 1, 0, 1, 0x61, 0xFF, 0xFF, 0, 0, 0, 1, 9]
        #expect(response == expected)
    }

    @Test func hostileCountsAreRefusedBeforeAllocating() {
        var bytes: [UInt8] = []
        bytes.appendString(nil)
        bytes.appendInt16(1)
        bytes.appendInt32(1000)
        bytes.appendInt32(Int32.max)  // topic count the request cannot hold
        #expect(throws: WireError.self) { try Self.decode(bytes) { try ProduceRequest(from: &$0, version: 7) } }
    }
}
