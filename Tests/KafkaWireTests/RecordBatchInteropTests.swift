import Foundation
import Testing
@testable import KafkaWire

/// Golden batches written by kafka-python's DefaultRecordBatchBuilder (see
/// Tests/Interop/kafka_python_batches.py), and Sluice's batches read back by kafka-python.
@Suite struct RecordBatchInteropTests {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("KafkaWireTests/Fixtures")
    static let script = testsDirectory.appendingPathComponent("Interop/kafka_python_batches.py")

    struct ExpectedRecord: Decodable, Equatable {
        var offset: Int64
        var timestamp: Int64
        var key: String?
        var value: String?
        var headers: [[String?]]
    }

    struct Fixture: Decodable {
        var codec: String
        var producer_id: Int64
        var producer_epoch: Int16
        var base_sequence: Int32
        var records: [ExpectedRecord]
    }

    static func hex(_ bytes: [UInt8]?) -> String? {
        bytes.map { $0.map { String(format: "%02x", $0) }.joined() }
    }

    static func unhex(_ text: String?) -> [UInt8]? {
        guard let text else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func expected(_ record: Record) -> ExpectedRecord {
        ExpectedRecord(
            offset: record.offset, timestamp: record.timestamp, key: hex(record.key), value: hex(record.value),
            headers: record.headers.map { [$0.key, hex($0.value)] })
    }

    static let fixtureNames = ["none", "gzip", "snappy", "lz4", "zstd"].flatMap { ["batch-\($0)", "batch-\($0)-idempotent"] }

    @Test(arguments: fixtureNames)
    func decodesKafkaPythonBatch(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).bin")))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).json")))
        let batch = try RecordBatch(validating: bytes)
        #expect(batch.header.compression.map { "\($0)" } == fixture.codec)
        #expect(batch.header.producerId == fixture.producer_id)
        #expect(batch.header.producerEpoch == fixture.producer_epoch)
        #expect(batch.header.baseSequence == fixture.base_sequence)
        #expect(Int(batch.header.recordsCount) == fixture.records.count)
        #expect(batch.header.maxTimestamp == fixture.records.map(\.timestamp).max())
        let records = try batch.records()
        #expect(records.map(Self.expected) == fixture.records)
    }

    /// The same records built by Sluice decode to the same values; for the uncompressed
    /// codec the bytes are identical to kafka-python's.
    @Test(arguments: fixtureNames)
    func rebuildsKafkaPythonBatch(name: String) throws {
        let golden = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).bin")))
        let original = try RecordBatch(validating: golden)
        let builder = RecordBatchBuilder(
            compression: original.header.compression!, partitionLeaderEpoch: original.header.partitionLeaderEpoch,
            producerId: original.header.producerId, producerEpoch: original.header.producerEpoch,
            baseSequence: original.header.baseSequence)
        let rebuilt = try builder.build(try original.records())
        #expect(try rebuilt.records() == (try original.records()))
        if original.header.compression == CompressionType.none {
            #expect(rebuilt.bytes == golden)
        }
    }

    @Test func kafkaPythonReadsSluiceBatches() throws {
        var file: [UInt8] = []
        var built: [(CompressionType, [Record])] = []
        var nextOffset: Int64 = 1000
        for codec in CompressionType.allCases {
            var records: [Record] = []
            for index in 0..<25 {
                let timestamp: Int64 = 1_700_000_000_000 + Int64(index * 7) - (index == 3 ? 50 : 0)
                let key: [UInt8]? = index % 5 == 0 ? nil : Array("key-\(index)".utf8)
                let value: [UInt8]? = index == 7 ? nil : Array("value \(index) of \(codec) ".utf8) + [0xFF, 0x00]
                let headers: [RecordHeader] = index % 2 == 0 ? [RecordHeader(key: "h\(index)", value: index == 4 ? nil : [1, 2, 3])] : []
                records.append(Record(timestamp: timestamp, key: key, value: value, headers: headers))
            }
            let batch = try RecordBatchBuilder(compression: codec, baseOffset: nextOffset, producerId: codec == .zstd ? 99 : -1,
                                               producerEpoch: codec == .zstd ? 0 : -1, baseSequence: codec == .zstd ? 0 : -1).build(records)
            file += batch.bytes
            built.append((codec, records.enumerated().map { index, record in
                var record = record
                record.offset = nextOffset + Int64(index)
                return record
            }))
            nextOffset += Int64(records.count)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-batches-\(UUID().uuidString).bin")
        try Data(file).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }

        let output = try Self.runPython(["read", path.path])
        struct ReadBatch: Decodable { var base_offset: Int64; var compression: Int; var producer_id: Int64; var records: [ExpectedRecord] }
        let batches = try JSONDecoder().decode([ReadBatch].self, from: output)
        #expect(batches.count == built.count)
        for (read, (codec, records)) in zip(batches, built) {
            #expect(read.compression == Int(codec.rawValue))
            #expect(read.base_offset == records[0].offset)
            #expect(read.records == records.map(Self.expected))
        }
    }

    static func runPython(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "kafka-python reader failed; is kafka-python installed (scripts/test installs it)?")
        return output
    }
}
