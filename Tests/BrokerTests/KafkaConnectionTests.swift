import CommitLog
import KafkaWire
import Logging
import NIOCore
import NIOEmbedded
import Testing
import TestSupport
@testable import Broker

/// The frame decoder and connection handler on an EmbeddedChannel: golden bytes in, golden
/// bytes out, and bad input closing only this connection.
@Suite struct KafkaConnectionTests {
    final class Harness {
        let directory = TemporaryDirectory()
        let channel: EmbeddedChannel
        let flusher = GroupCommitFlusher()
        let router: RequestRouter

        init(sharing other: Harness? = nil) throws {
            var config = BrokerConfig()
            config.dataDirectory = directory.path
            config.maxRequestBytes = 1 << 20
            if let other {
                router = other.router
                channel = EmbeddedChannel(loop: other.channel.embeddedEventLoop)
            } else {
                let topics = TopicStore(logs: try LogDirectory(path: directory.path))
                let groups = GroupCoordinator(offsets: try OffsetStore(dataDirectory: directory.path, config: LogConfig()), flusher: flusher)
                router = RequestRouter(config: config, topics: topics, flusher: flusher, groups: groups, logger: Logger(label: "test"))
                channel = EmbeddedChannel()
            }
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: config.maxRequestBytes)))
            try channel.pipeline.syncOperations.addHandler(KafkaConnectionHandler(router: router, logger: Logger(label: "test")))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9092)).wait()
        }

        deinit { flusher.stop() }

        func send(_ bytes: [UInt8]) throws {
            try channel.writeInbound(ByteBuffer(bytes: bytes))
            channel.embeddedEventLoop.run()
        }

        func response() throws -> [UInt8]? {
            try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) }
        }
    }

    static func frame(apiKey: Int16, version: Int16, correlationId: Int32, body: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0]
        RequestHeader(apiKey: apiKey, apiVersion: version, correlationId: correlationId, clientId: "t").encode(into: &bytes)
        bytes += body
        bytes.writeBigEndian(Int32(bytes.count - 4), at: 0)
        return bytes
    }

    @Test func apiVersionsV0GoldenBytes() throws {
        let harness = try Harness()
        try harness.send(Self.frame(apiKey: 18, version: 0, correlationId: 7))
        let response = try #require(try harness.response())
        var expected: [UInt8] = []
        expected.appendInt32(7)
        expected.appendInt16(0)
        expected.appendInt32(Int32(ApiKey.allCases.count))
        for key in ApiKey.allCases {
            expected.appendInt16(key.rawValue)
            expected.appendInt16(key.supportedVersions.lowerBound)
            expected.appendInt16(key.supportedVersions.upperBound)
        }
        #expect(Array(response.dropFirst(4)) == expected)
        #expect(response.bigEndianInt32(at: 0) == Int32(expected.count))
    }

    @Test func apiVersionsV3IsFlexibleWithAV0Header() throws {
        let harness = try Harness()
        var body: [UInt8] = []
        body.appendCompactString("kcat")
        body.appendCompactString("1.7.1")
        body.appendEmptyTaggedFields()
        try harness.send(Self.frame(apiKey: 18, version: 3, correlationId: 9, body: body))
        let response = try #require(try harness.response())
        // size, correlation id, then straight into the body: error 0, compact array count.
        #expect(Array(response[4..<8]) == [0, 0, 0, 9])
        #expect(Array(response[8..<10]) == [0, 0])
        #expect(response[10] == UInt8(ApiKey.allCases.count + 1))
        #expect(response.last == 0, "body ends with an empty tag section")
    }

    @Test func unsupportedApiVersionsVersionGetsAV0BodyWithError35() throws {
        let harness = try Harness()
        try harness.send(Self.frame(apiKey: 18, version: 99, correlationId: 1))
        let response = try #require(try harness.response())
        #expect(Array(response[8..<10]) == [0, 35])
        #expect(harness.channel.isActive)
    }

    @Test func responsesComeInRequestOrder() throws {
        let harness = try Harness()
        var pipelined: [UInt8] = []
        for id in 1...5 { pipelined += Self.frame(apiKey: 18, version: 1, correlationId: Int32(id)) }
        try harness.send(pipelined)
        var ids: [Int32] = []
        while let response = try harness.response() { ids.append(response.bigEndianInt32(at: 4)) }
        #expect(ids == [1, 2, 3, 4, 5])
    }

    @Test func oversizedOrNegativeFrameClosesTheConnection() throws {
        for declared: Int32 in [Int32.max, -5, (1 << 20) + 1] {
            let harness = try Harness()
            var bytes: [UInt8] = []
            bytes.appendInt32(declared)
            #expect(harness.channel.isActive)
            try? harness.send(bytes + [1, 2, 3])
            #expect(!harness.channel.isActive, "declared \(declared)")
        }
    }

    @Test func unknownApiAndGarbageBodiesCloseTheConnection() throws {
        for frame in [Self.frame(apiKey: 999, version: 0, correlationId: 1),
                      Self.frame(apiKey: 0, version: 7, correlationId: 1, body: [0xFF, 0xFF, 0, 1]),
                      Self.frame(apiKey: 3, version: 44, correlationId: 1)] {
            let harness = try Harness()
            try harness.send(frame)
            harness.channel.embeddedEventLoop.run()
            #expect(try harness.response() == nil)
            #expect(!harness.channel.isActive)
        }
    }

    static func fetchFrame(topic: String, offset: Int64, maxWaitMs: Int32, correlationId: Int32) -> [UInt8] {
        var body: [UInt8] = []
        body.appendInt32(-1)  // replica
        body.appendInt32(maxWaitMs)
        body.appendInt32(1)  // min bytes
        body.appendInt32(1 << 20)
        body.appendInt8(0)  // isolation
        body.appendArray([topic]) { bytes, name in
            bytes.appendString(name)
            bytes.appendArray([0]) { bytes, partition in
                bytes.appendInt32(Int32(partition))
                bytes.appendInt64(offset)
                bytes.appendInt32(1 << 20)
            }
        }
        return frame(apiKey: 1, version: 4, correlationId: correlationId, body: body)
    }

    static func produceFrame(topic: String, correlationId: Int32) throws -> [UInt8] {
        let batch = try RecordBatchBuilder().build([Record(timestamp: 1, value: Array("woken".utf8))])
        var body: [UInt8] = []
        body.appendString(nil)
        body.appendInt16(1)  // acks
        body.appendInt32(1000)
        body.appendArray([topic]) { bytes, name in
            bytes.appendString(name)
            bytes.appendArray([0]) { bytes, _ in
                bytes.appendInt32(0)
                bytes.appendNullableBytes(batch.bytes)
            }
        }
        return frame(apiKey: 0, version: 7, correlationId: correlationId, body: body)
    }

    /// Long polling: a fetch at the log end waits; a produce from another connection wakes
    /// it with the new batch; with nothing produced it answers empty at max_wait.
    @Test func fetchAtTheEndWaitsUntilAProduceOrMaxWait() throws {
        let consumer = try Harness()
        let producer = try Harness(sharing: consumer)
        try consumer.send(Self.frame(apiKey: 3, version: 4, correlationId: 1, body: [0, 0, 0, 1, 0, 5] + Array("waits".utf8) + [1]))
        _ = try consumer.response()  // metadata created the topic

        try consumer.send(Self.fetchFrame(topic: "waits", offset: 0, maxWaitMs: 60_000, correlationId: 2))
        #expect(try consumer.response() == nil, "parked")
        try producer.send(try Self.produceFrame(topic: "waits", correlationId: 3))
        #expect(try producer.response() != nil)
        consumer.channel.embeddedEventLoop.run()
        let woken = try #require(try consumer.response())
        #expect(woken.bigEndianInt32(at: 4) == 2)
        #expect(woken.count > 100, "carries the batch")
        #expect(woken.suffix(6) == Array("woken".utf8) + [0], "the record value, then its header count")

        try consumer.send(Self.fetchFrame(topic: "waits", offset: 1, maxWaitMs: 500, correlationId: 4))
        #expect(try consumer.response() == nil)
        consumer.channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        #expect(try consumer.response() == nil)
        consumer.channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        let empty = try #require(try consumer.response())
        #expect(empty.bigEndianInt32(at: 4) == 4)
        #expect(empty.suffix(4) == [0, 0, 0, 0], "records: zero bytes, never null")
    }

    @Test func nothingAfterABadRequestIsStarted() throws {
        let harness = try Harness()
        try harness.send(Self.frame(apiKey: 999, version: 0, correlationId: 1) + (try Self.produceFrame(topic: "after", correlationId: 2)))
        #expect(!harness.channel.isActive)
        #expect(harness.router.topics.partitionCount("after") == nil, "the produce behind the bad frame was not run")
    }

    @Test func decoderHandlesFramesSplitAtEveryByte() throws {
        let harness = try Harness()
        let request = Self.frame(apiKey: 18, version: 2, correlationId: 3) + Self.frame(apiKey: 18, version: 2, correlationId: 4)
        for byte in request { try harness.send([byte]) }
        #expect(try harness.response()?.bigEndianInt32(at: 4) == 3)
        #expect(try harness.response()?.bigEndianInt32(at: 4) == 4)
    }
}

extension Array where Element == UInt8 {
    func bigEndianInt32(at offset: Int) -> Int32 {
        withUnsafeBytes { Int32(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: Int32.self)) }
    }
}
