import Compression
import TestSupport
import Testing
@testable import KafkaWire

@Suite struct RecordBatchValidationTests {
    static func sampleBatch(_ compression: CompressionType = .none, count: Int = 3) throws -> RecordBatch {
        try RecordBatchBuilder(compression: compression).build((0..<count).map {
            Record(timestamp: 1_000 + Int64($0), key: [UInt8($0)], value: Array("v\($0)".utf8))
        })
    }

    @Test func everyCodecRoundTrips() throws {
        for codec in CompressionType.allCases {
            let batch = try Self.sampleBatch(codec, count: 50)
            let records = try batch.records()
            #expect(records.count == 50)
            #expect(records[49].offset == 49 && records[49].timestamp == 1_049 && records[49].value == Array("v49".utf8))
            #expect(batch.header.compression == codec)
        }
    }

    @Test func flippedByteInsideCRCCoverageIsCorrupt() throws {
        let batch = try Self.sampleBatch()
        for position in RecordBatchHeader.crcCoverageStart..<batch.bytes.count {
            var bytes = batch.bytes
            bytes[position] ^= 0x10
            #expect(throws: RecordBatchError.self) { try RecordBatch(validating: bytes) }
        }
    }

    @Test func baseOffsetAndLeaderEpochAreOutsideTheCRC() throws {
        var bytes = try Self.sampleBatch().bytes
        bytes.writeBigEndian(Int64(123_456), at: RecordBatchHeader.Offset.baseOffset)
        bytes.writeBigEndian(Int32(9), at: RecordBatchHeader.Offset.partitionLeaderEpoch)
        let batch = try RecordBatch(validating: bytes)
        #expect(batch.header.baseOffset == 123_456)
        #expect(try batch.records().map(\.offset) == [123_456, 123_457, 123_458])
    }

    @Test func truncatedOrPaddedBatchIsCorrupt() throws {
        let bytes = try Self.sampleBatch().bytes
        for length in [0, 11, 60, bytes.count - 1] {
            #expect(throws: RecordBatchError.self) { try RecordBatch(validating: Array(bytes.prefix(length))) }
        }
        #expect(throws: RecordBatchError.self) { try RecordBatch(validating: bytes + [0]) }
    }

    @Test func wrongMagicIsRefused() throws {
        var bytes = try Self.sampleBatch().bytes
        bytes[RecordBatchHeader.Offset.magic] = 1
        #expect(throws: RecordBatchError.unsupportedMagic(1)) { try RecordBatch(validating: bytes) }
    }

    /// Fields inside the CRC, changed with the CRC recomputed, reach the semantic checks.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.crcCoverageStart...])) }
        bytes.writeBigEndian(crc, at: RecordBatchHeader.Offset.crc)
        return bytes
    }

    @Test func unknownCodecAndInconsistentCountsAreRefused() throws {
        var bytes = try Self.sampleBatch().bytes
        bytes.writeBigEndian(Int16(5), at: RecordBatchHeader.Offset.attributes)
        #expect(throws: RecordBatchError.unsupportedCompression(5)) { try RecordBatch(validating: Self.resealed(bytes)) }

        bytes = try Self.sampleBatch().bytes
        bytes.writeBigEndian(Int32(5), at: RecordBatchHeader.Offset.lastOffsetDelta)
        #expect(throws: RecordBatchError.self) { try RecordBatch(validating: Self.resealed(bytes)) }

        bytes = try Self.sampleBatch().bytes
        bytes.writeBigEndian(Int32(0), at: RecordBatchHeader.Offset.recordsCount)
        bytes.writeBigEndian(Int32(-1), at: RecordBatchHeader.Offset.lastOffsetDelta)
        #expect(throws: RecordBatchError.self) { try RecordBatch(validating: Self.resealed(bytes)) }
    }

    @Test func recordCountLargerThanRecordsIsInvalidRecord() throws {
        var bytes = try Self.sampleBatch().bytes
        bytes.writeBigEndian(Int32(4), at: RecordBatchHeader.Offset.recordsCount)
        bytes.writeBigEndian(Int32(3), at: RecordBatchHeader.Offset.lastOffsetDelta)
        let batch = try RecordBatch(validating: Self.resealed(bytes))
        #expect(throws: RecordBatchError.self) { try batch.records() }
    }

    @Test func hugeClaimedRecordCountIsRefusedWithoutAllocating() throws {
        var bytes = try Self.sampleBatch().bytes
        bytes.writeBigEndian(Int32.max, at: RecordBatchHeader.Offset.recordsCount)
        bytes.writeBigEndian(Int32.max - 1, at: RecordBatchHeader.Offset.lastOffsetDelta)
        bytes.writeBigEndian(Int64.max - 5, at: RecordBatchHeader.Offset.baseOffset)
        let batch = try RecordBatch(validating: Self.resealed(bytes))
        #expect(batch.header.lastOffset < batch.header.baseOffset, "wraps instead of trapping")
        #expect(throws: RecordBatchError.self) { try batch.records() }
    }

    /// Random bytes after a valid header never crash the record decoder.
    @Test func randomRecordBytesGiveErrorsNotCrashes() throws {
        var generator = SplitMix64(seed: 99)
        let template = try Self.sampleBatch(count: 4).bytes
        for _ in 0..<2_000 {
            var bytes = template
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                bytes[Int.random(in: RecordBatchHeader.size..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            guard let batch = try? RecordBatch(validating: Self.resealed(bytes)) else { continue }
            _ = try? batch.records()
        }
    }

    @Test func recordsOfConcatenatedBatches() throws {
        let first = try Self.sampleBatch(.gzip, count: 2).bytes
        var second = try Self.sampleBatch(count: 3).bytes
        second.writeBigEndian(Int64(2), at: RecordBatchHeader.Offset.baseOffset)
        let all = try (first + second).withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
        #expect(all.map(\.offset) == [0, 1, 2, 3, 4])
        #expect(throws: RecordBatchError.self) {
            try (first + second.dropLast()).withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
        }
    }

    @Test func decompressionBombIsRefused() throws {
        let big = Record(timestamp: 0, value: [UInt8](repeating: 0x61, count: 4 << 20))
        for codec in [CompressionType.gzip, .snappy, .lz4, .zstd] {
            let batch = try RecordBatchBuilder(compression: codec).build([big])
            #expect(batch.bytes.count < 1 << 20)
            #expect(throws: RecordBatchError.self) { try batch.records(maxDecompressedBytes: 1 << 20) }
            #expect(try batch.records(maxDecompressedBytes: 8 << 20).first?.value?.count == 4 << 20)
        }
    }

    @Test func logAppendTimeAppliesMaxTimestampToEveryRecord() throws {
        let batch = try RecordBatchBuilder(usesLogAppendTime: true).build([
            Record(timestamp: 10, value: [1]), Record(timestamp: 30, value: [2]),
        ])
        #expect(try batch.records().map(\.timestamp) == [30, 30])
    }
}

@Suite struct VarintTests {
    @Test(arguments: [Int64(0), 1, -1, 63, -64, 64, 300, -300, Int64(Int32.max), Int64(Int32.min), Int64.max, Int64.min])
    func zigzagRoundTrips(value: Int64) throws {
        var bytes: [UInt8] = []
        bytes.appendVarint(value)
        let decoded = try bytes.withUnsafeBytes { (buffer) throws in
            var reader = ByteReader(buffer)
            let value = try reader.readVarlong()
            #expect(reader.remaining == 0)
            return value
        }
        #expect(decoded == value)
    }

    @Test func knownEncodings() {
        var bytes: [UInt8] = []
        bytes.appendVarint(-1)
        bytes.appendVarint(1)
        bytes.appendVarint(150)
        #expect(bytes == [0x01, 0x02, 0xAC, 0x02])
    }

    @Test func overlongAndTruncatedVarintsAreErrors() {
        [UInt8](repeating: 0xFF, count: 6).withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            #expect(throws: WireError.self) { try reader.readVarint() }
        }
        [UInt8]([0x80, 0x80]).withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            #expect(throws: WireError.self) { try reader.readVarlong() }
        }
    }
}
